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
    # What the runtime's own dependencies pull in is pinned too (not just the top level).
    assert {"pydantic-core", "starlette", "h11"} <= set(pins)


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
