"""chains-build's table of the CUDA in PyPI's torch wheels, checked against PyPI itself.

For every torch release from 2.0 on, one Linux x86_64 wheel's metadata is read from PyPI
(``tests/pypi_metadata``) and its CUDA taken from the pin on the CUDA runtime it requires:
``nvidia-cuda-runtime-cu12==12.8.90`` (torch 2.0-2.10) or ``cuda-toolkit[cudart,...]==13.0.2``
(2.11 on). The table must give that CUDA for the release's minor version, and must know the
newest torch on PyPI. This test needs PyPI (CI reaches it) and fails, saying so, without it.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import pytest

from chains_build.torch_builds import NEWEST_TORCH, TORCH_PYPI_CUDA, version_key
from tests.pypi_metadata import (
    PyPIUnreachable,
    WheelFile,
    requires_dist,
    wheel_files,
    wheel_metadata,
)

_WHEEL = re.compile(
    r"torch-(?P<version>\d+\.\d+\.\d+)-cp3\d+-cp3\d+-(?:many)?linux[^-]*x86_64\.whl"
)
_CUDA_PIN = re.compile(
    r"^(?:nvidia-cuda-runtime-cu\d+|cuda-toolkit\[[^\]]*\bcudart\b[^\]]*\])\s*\(?\s*==\s*"
    r"(?P<major>\d+)\.(?P<minor>\d+)"
)


def wheel_cuda(metadata: str) -> str | None:
    """The CUDA a torch wheel installs, from its Requires-Dist pins."""
    for requirement in requires_dist(metadata):
        match = _CUDA_PIN.match(requirement)
        if match:
            return f"{match['major']}.{match['minor']}"
    return None


def test_the_cuda_pin_is_read_from_both_metadata_forms() -> None:
    old = 'Requires-Dist: nvidia-cuda-runtime-cu12 (==12.1.105) ; platform_system == "Linux"\n'
    new = 'Requires-Dist: cuda-toolkit[cublas,cudart,nvtx]==13.0.2; platform_system == "Linux"\n'
    assert wheel_cuda(old) == "12.1" and wheel_cuda(new) == "13.0"
    assert wheel_cuda("Requires-Dist: numpy\n") is None


def _releases() -> dict[str, WheelFile]:
    """One Linux x86_64 wheel per torch release from 2.0 on."""
    chosen: dict[str, WheelFile] = {}
    for wheel in wheel_files("torch"):
        match = _WHEEL.fullmatch(wheel.filename)
        if match and version_key(match["version"]) >= (2, 0, 0):
            chosen.setdefault(match["version"], wheel)
    return chosen


def test_the_torch_cuda_table_matches_the_wheels_on_pypi() -> None:
    try:
        releases = _releases()
        with ThreadPoolExecutor(max_workers=8) as pool:
            metadata = dict(zip(releases, pool.map(wheel_metadata, releases.values()), strict=True))
    except PyPIUnreachable as exc:
        pytest.fail(f"PyPI is not reachable, so the torch/CUDA table cannot be checked: {exc}")
    assert releases, "PyPI lists no Linux x86_64 torch wheels"
    wrong = []
    for version, text in sorted(metadata.items(), key=lambda item: version_key(item[0])):
        minor = ".".join(version.split(".")[:2])
        cuda = wheel_cuda(text)
        if cuda is None or TORCH_PYPI_CUDA.get(minor) != cuda:
            wrong.append(
                f"torch {version}: PyPI's wheel has CUDA {cuda}, the table says "
                f"{TORCH_PYPI_CUDA.get(minor)}"
            )
    assert not wrong, "chains_build.torch_builds.TORCH_PYPI_CUDA is out of date:\n" + "\n".join(
        wrong
    )
    newest = max((".".join(v.split(".")[:2]) for v in releases), key=version_key)
    assert newest == NEWEST_TORCH, f"PyPI has torch {newest}: add it to TORCH_PYPI_CUDA"
