"""The runtime's exact versions: the constraints file shipped with chains_build, and its use."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from chains_build.runtime_constraints import installed_constraints, runtime_constraints
from chains_build.runtime_package import runtime_requirements
from tests.build_helpers import HELLO_CHAIN, build, write
from tests.pypi_metadata import PyPIUnreachable, WheelFile, wheel_files


def _pins(text: str) -> dict[str, str]:
    pins = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[name] = version
    return pins


def test_the_shipped_constraints_are_the_versions_the_tests_run_with() -> None:
    assert runtime_constraints() == installed_constraints(), (
        "run: python -m chains_build.runtime_constraints"
    )


def test_every_runtime_requirement_is_pinned_to_a_version_it_allows() -> None:
    pins = _pins(runtime_constraints())
    for text in runtime_requirements():
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not pinned"
        assert requirement.specifier.contains(pins[name], prereleases=True), (name, pins[name])
    for pinned, version in pins.items():
        assert importlib.metadata.version(pinned) == version
    # Only the runtime's direct dependencies: what they pull in (and a chain may pin itself)
    # is left to the resolver; chains-build lock fixes every version.
    direct = {canonicalize_name(Requirement(text).name) for text in runtime_requirements()}
    assert set(pins) == direct
    assert not {"certifi", "typing-extensions", "jinja2", "click", "idna", "h11"} & set(pins)


def test_every_context_installs_with_the_runtime_constraints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path, "chain.py", HELLO_CHAIN)
    out = tmp_path / "out"
    status, _, stderr = build(capsys, chain, "-o", out)
    assert status == 0, stderr
    for name in ("HelloAll", "SayHello"):
        context = out / name
        assert (context / "constraints.txt").read_text() == runtime_constraints()
        dockerfile = (context / "Dockerfile").read_text()
        assert (
            "COPY install-uv.py constraints.txt requirements-runtime.txt /opt/chains/" in dockerfile
        )
        assert (
            "-c /opt/chains/constraints.txt -r /opt/chains/requirements-runtime.txt" in dockerfile
        )


def test_every_pinned_version_has_a_linux_wheel_for_every_python_the_images_may_run() -> None:
    # python:X.Y-slim has no compiler: a pin without a wheel for X.Y would fail the build.
    try:
        missing = [
            f"{name}=={version} for cp3{minor}"
            for name, version in _pins(runtime_constraints()).items()
            for minor in range(10, 14)
            if not _has_wheel(wheel_files(name), name, version, minor)
        ]
    except PyPIUnreachable as exc:
        pytest.fail(f"PyPI is not reachable, so the pinned wheels cannot be checked: {exc}")
    assert not missing, missing


def _has_wheel(wheels: list[WheelFile], name: str, version: str, minor: int) -> bool:
    prefix = name.replace("-", "_").lower() + "-" + version + "-"
    for wheel in wheels:
        filename = wheel.filename.lower()
        if not filename.startswith(prefix):
            continue
        tags = filename[len(prefix) : -len(".whl")].split("-")
        python, abi, platform = tags[-3], tags[-2], tags[-1]
        if platform == "any" and python.startswith("py3"):
            return True
        if "x86_64" not in platform or "linux" not in platform or "musl" in platform:
            continue
        pythons = python.split(".")
        if f"cp3{minor}" in pythons and abi in (f"cp3{minor}", "abi3", "none"):
            return True
        if abi == "abi3" and any(p.startswith("cp3") and int(p[3:]) <= minor for p in pythons):
            return True
    return False


_PINNING_CHAIN = """
import truss_chains as chains


@chains.mark_entrypoint
class Front(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=[{pins}]),
    )

    async def run_remote(self, text: str) -> str:
        return text
"""


def test_a_chain_that_pins_what_the_runtime_pulls_in_still_resolves(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Resolved by uv from the files the build generates (chains-build lock runs uv pip compile
    # on constraints.txt and the requirements files, as the Dockerfile's uv pip install does).
    pins = ["jinja2==3.1.2", "certifi==2024.2.2", "click==8.1.7", "idna==3.6"]
    chain = write(tmp_path, "chain.py", _PINNING_CHAIN.format(pins=", ".join(map(repr, pins))))
    status, _, stderr = build(capsys, "lock", chain, "--python", "3.11")
    if status != 0 and ("dns error" in stderr or "Connect" in stderr):
        pytest.fail(f"PyPI is not reachable, so the resolution cannot be checked: {stderr}")
    assert status == 0, stderr
    locked = (tmp_path / "chains-lock" / "Front.txt").read_text().splitlines()
    for pin in pins:
        assert pin in locked
    for constraint in runtime_constraints().splitlines():
        if not constraint.startswith("#"):
            assert constraint in locked


def test_a_pin_the_runtimes_own_versions_exclude_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # typing-extensions 4.9 is older than the tested anyio and pydantic accept: no build can
    # hold both, and uv says which package needs what.
    chain = write(tmp_path, "chain.py", _PINNING_CHAIN.format(pins="'typing-extensions==4.9.0'"))
    status, _, stderr = build(capsys, "lock", chain, "--python", "3.11")
    assert status == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot resolve the requirements" in lines[0], stderr
    assert "typing-extensions" in lines[0]
