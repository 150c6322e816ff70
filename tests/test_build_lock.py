"""``chains-build lock``: each chainlet's packages resolved once into chains-lock/, which the
build copies into its context and the Dockerfile installs; a stale lock stops the build.

Resolving needs PyPI (CI reaches it): without it the test fails and says so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chains_build.errors import BuildError
from chains_build.lock import LockInputs, resolve
from chains_build.runtime_constraints import runtime_constraints
from chains_build.torch_builds import index_url, torch_backend
from tests.build_helpers import HELLO_CHAIN, build, tree, write


def _lock(capsys: pytest.CaptureFixture[str], chain: Path, *args: str) -> tuple[int, str]:
    status, _, stderr = build(capsys, "lock", chain, *args)
    if status != 0 and ("dns error" in stderr or "Connect" in stderr):
        pytest.fail(f"PyPI is not reachable, so chains-build lock cannot be tested: {stderr}")
    return status, stderr


def test_lock_pins_every_package_and_the_build_installs_exactly_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    status, stderr = _lock(capsys, chain, "--python", "3.11")
    assert status == 0, stderr
    locks = tmp_path / "src" / "chains-lock"
    assert sorted(p.name for p in locks.iterdir()) == ["HelloAll.txt", "SayHello.txt"]
    text = (locks / "SayHello.txt").read_text()
    lines = text.splitlines()
    assert lines[0].startswith("# inputs: sha256:")
    assert "uv pip compile, Python 3.11, x86_64-manylinux_2_28" in lines[1]
    pinned = [line for line in lines if line and not line.startswith(("#", " "))]
    assert pinned and all("==" in line for line in pinned)
    # The runtime's exact versions are what the lock holds.
    for constraint in runtime_constraints().splitlines():
        if not constraint.startswith("#"):
            assert constraint in pinned
    assert str(tmp_path) not in text  # no path of this machine
    # Locking again gives the same bytes.
    first = tree(locks)
    assert _lock(capsys, chain, "--python", "3.11")[0] == 0
    assert tree(locks) == first

    out = tmp_path / "out"
    status, _, stderr = build(capsys, chain, "-o", out, "--python", "3.11")
    assert status == 0, stderr
    context = out / "SayHello"
    assert (context / "requirements.lock").read_text() == text
    dockerfile = (context / "Dockerfile").read_text()
    assert "COPY install-uv.py requirements.lock /opt/chains/\n" in dockerfile
    assert "uv pip install --python /opt/venv/bin/python -r /opt/chains/requirements.lock" in (
        dockerfile
    )
    assert '"locked": true' in (out / "chain.json").read_text()


def test_a_stale_lock_stops_the_build_with_the_command_that_renews_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path, "chain.py", HELLO_CHAIN)
    assert _lock(capsys, chain, "--python", "3.11")[0] == 0
    # Another Python version: the lock no longer matches what the images resolve for.
    status, _, stderr = build(capsys, chain, "-o", tmp_path / "out", "--python", "3.12")
    assert status == 1
    assert stderr.strip().splitlines() == [
        f"chains-build: error: {tmp_path / 'chains-lock' / 'HelloAll.txt'} is stale: the "
        "chainlet's requirements, Python version or torch build changed since it was written; "
        "run: chains-build lock chain.py"
    ]
    assert not (tmp_path / "out").exists()


def test_without_a_lock_the_build_resolves_with_the_constraints(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path, "chain.py", HELLO_CHAIN)
    out = tmp_path / "out"
    assert build(capsys, chain, "-o", out)[0] == 0
    assert not (out / "SayHello" / "requirements.lock").exists()
    assert '"locked": false' in (out / "chain.json").read_text()


def test_the_pytorch_index_supplies_only_the_pytorch_packages() -> None:
    # uv --torch-backend routes torch, torchvision, ... to the PyTorch index and nothing else:
    # jinja2 (which download.pytorch.org mirrors) resolves from PyPI alone, even where the
    # PyTorch index cannot be reached.
    inputs = LockInputs(
        files=(
            ("constraints.txt", runtime_constraints()),
            ("requirements.txt", "jinja2==3.1.2\nnumpy>=1.26\n"),
        ),
        python_version="3.11",
        index=index_url("12.4"),
    )
    try:
        text = resolve(inputs, "chain.py")
    except BuildError as exc:
        if "dns error" in exc.message or "Connect" in exc.message:
            pytest.fail(f"PyPI is not reachable: {exc.message}")
        raise
    assert "jinja2==3.1.2" in text.splitlines()
    assert "+cu" not in text
    assert torch_backend(index_url("12.4")) == "cu124"
    assert torch_backend(index_url(None)) == "cpu"
    with pytest.raises(BuildError, match="--torch-backend"):
        torch_backend("https://example.com/simple")
