"""Which torch build a chainlet installs, so that the image's CUDA is the CUDA of its torch.

torch's Linux wheels bring their own CUDA libraries (the ``nvidia-*`` packages they require),
so the CUDA of an image is the CUDA of the torch build installed in it, whatever the base
image says. Two tables decide it:

- :data:`TORCH_PYPI_CUDA`: the CUDA of the wheel plain ``pip install torch==X.Y.Z`` gets
  from PyPI, per torch minor version. Source: the ``nvidia-cuda-runtime-cu1x==`` pin (torch
  2.0-2.10) or the ``cuda-toolkit[...]==`` pin (2.11 on) in the ``Requires-Dist`` metadata of
  every ``torch-X.Y.Z-*-manylinux*_x86_64.whl`` on PyPI; ``tests/test_build_torch_table.py``
  reads them again from PyPI and fails when this table is wrong or behind.
- :data:`TORCH_INDEX_CUDA`: the CUDA builds the PyTorch index publishes
  (``https://download.pytorch.org/whl/cuXYZ``, local versions ``+cuXYZ``). Source for torch
  2.0-2.11: replicate/cog's ``pkg/config/torch_compatibility.json`` (commit 6110c912, generated
  from download.pytorch.org), which agrees with PyTorch's RELEASE.md compatibility matrix. For
  newer torch only the PyPI build's CUDA is listed (the index also publishes the default build
  as ``+cuXYZ``); a pin that names another ``+cuXYZ`` is trusted as written.

Which GPUs a build serves: a build for CUDA X has kernels for a GPU when X is at least the GPU's
minimum CUDA (``chains_lint.model.accelerators``: Blackwell's sm_100 first appears in the CUDA
12.8 builds) and, for GPUs older than Turing (compute capability below 7.5: V100), X is at most
12.6: torch's CUDA 12.8 builds list sm_75 as their oldest architecture (conda package arch
lists, moi90/pytorch_compute_capabilities) and CUDA 13 removed Maxwell, Pascal and Volta.
"""

from __future__ import annotations

from dataclasses import dataclass

from chains_build.errors import BuildError
from chains_lint.model.accelerators import Accelerator

PYTORCH_INDEX = "https://download.pytorch.org/whl"
"""The PyTorch package index; ``/cu128``, ``/cpu`` etc. below it."""

TORCH_PYPI_CUDA: dict[str, str] = {
    "2.0": "11.7",
    "2.1": "12.1",
    "2.2": "12.1",
    "2.3": "12.1",
    "2.4": "12.1",
    "2.5": "12.4",
    "2.6": "12.4",
    "2.7": "12.6",
    "2.8": "12.8",
    "2.9": "12.8",
    "2.10": "12.8",
    "2.11": "13.0",
    "2.12": "13.0",
    "2.13": "13.0",
    "2.14": "13.0",
    "2.15": "13.2",
}
"""torch minor version -> the CUDA of its Linux x86_64 wheels on PyPI."""

TORCH_INDEX_CUDA: dict[str, tuple[str, ...]] = {
    "2.0": ("11.7", "11.8"),
    "2.1": ("11.8", "12.1"),
    "2.2": ("11.8", "12.1"),
    "2.3": ("11.8", "12.1"),
    "2.4": ("11.8", "12.1", "12.4"),
    "2.5": ("11.8", "12.1", "12.4"),
    "2.6": ("11.8", "12.4", "12.6"),
    "2.7": ("11.8", "12.6", "12.8"),
    "2.8": ("12.6", "12.8", "12.9"),
    "2.9": ("12.6", "12.8", "13.0"),
    "2.10": ("12.6", "12.8", "13.0"),
    "2.11": ("12.6", "12.8", "12.9", "13.0"),
    "2.12": ("13.0",),
    "2.13": ("13.0",),
    "2.14": ("13.0",),
    "2.15": ("13.2",),
}
"""torch minor version -> the CUDA builds on the PyTorch index (see the module docstring)."""

NEWEST_TORCH = max(TORCH_PYPI_CUDA, key=lambda minor: tuple(map(int, minor.split("."))))
"""The newest torch minor version the tables know: what an unpinned torch is held to."""

_PRE_TURING_LAST_CUDA = "12.6"
"""The newest CUDA whose torch builds still carry kernels for compute capability < 7.5."""


def version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def cuda_tag(cuda: str) -> str:
    """``"12.8"`` -> ``"cu128"``."""
    major, minor = cuda.split(".")
    return f"cu{major}{minor}"


def index_url(cuda: str | None) -> str:
    """The PyTorch index of the builds for ``cuda`` (None: the CPU builds)."""
    return f"{PYTORCH_INDEX}/{cuda_tag(cuda) if cuda else 'cpu'}"


def why_not_served(gpu: Accelerator, cuda: str) -> str | None:
    """Why a torch build for ``cuda`` has no kernels for ``gpu``; None when it has."""
    if gpu.min_cuda is not None and version_key(cuda) < version_key(gpu.min_cuda):
        return f"{gpu.name} needs a build for CUDA >= {gpu.min_cuda}"
    capability = gpu.compute_capability
    if (
        capability is not None
        and version_key(capability) < (7, 5)
        and version_key(cuda) > version_key(_PRE_TURING_LAST_CUDA)
    ):
        return (
            f"{gpu.name} (compute capability {capability}) has no kernels in torch builds "
            f"for CUDA newer than {_PRE_TURING_LAST_CUDA}"
        )
    return None


@dataclass(frozen=True)
class TorchBuild:
    """The torch build a GPU chainlet installs, and where from."""

    cuda: str
    """The CUDA of the build, e.g. ``"12.8"``: the image's CUDA."""
    index: str | None
    """``--extra-index-url`` for it (the PyTorch index), or None when PyPI's build is used."""
    constraint: str | None
    """A constraint line that holds torch to this build, e.g. ``"torch==2.7.0+cu128"``."""
    reasons: tuple[str, ...]


def choose_torch_build(
    chainlet: str,
    gpu: Accelerator,
    *,
    requirement: str | None,
    minor: str | None,
    version: str | None,
    local_cuda: str | None,
) -> TorchBuild:
    """The torch build for a GPU chainlet.

    ``requirement`` is the torch pin as written (None: torch is not pinned), ``minor`` its
    minor version (``"2.7"``), ``version`` the exact version when the pin is ``==X.Y.Z``, and
    ``local_cuda`` the CUDA a ``+cuXYZ`` local version names.
    """
    if requirement is None or minor is None:
        return _unpinned(chainlet, gpu)
    if local_cuda is not None:
        problem = why_not_served(gpu, local_cuda)
        if problem is not None:
            raise BuildError(
                f"chainlet `{chainlet}`: {requirement} is the torch build for CUDA {local_cuda}, "
                f"but {problem}; {_way_out(gpu, minor)}"
            )
        known = TORCH_INDEX_CUDA.get(minor, ())
        listed = (
            "a build the PyTorch index publishes"
            if local_cuda in known
            else "not in the table of PyTorch index builds: trusted as written"
        )
        return TorchBuild(
            local_cuda,
            index_url(local_cuda),
            None,
            (
                f"{requirement} names the torch build for CUDA {local_cuda} ({listed})",
                f"installed from {index_url(local_cuda)}",
            ),
        )
    pypi = TORCH_PYPI_CUDA.get(minor)
    if pypi is None:
        raise BuildError(
            f"chainlet `{chainlet}`: {requirement}: torch {minor} is not in chains-build's table "
            "of torch builds, so the CUDA its wheel brings is unknown; pin a build with its CUDA "
            f"(e.g. torch=={minor}.0+{cuda_tag(_unpinned(chainlet, gpu).cuda)}) or a torch from "
            f"{min(TORCH_PYPI_CUDA, key=version_key)} to {NEWEST_TORCH}"
        )
    problem = why_not_served(gpu, pypi)
    if problem is None:
        return TorchBuild(
            pypi,
            None,
            None,
            (
                f"{requirement}: PyPI's torch {minor} wheel is built for CUDA {pypi}, which serves "
                f"{gpu.name}",
            ),
        )
    serving = [
        cuda for cuda in TORCH_INDEX_CUDA.get(minor, ()) if why_not_served(gpu, cuda) is None
    ]
    if not serving:
        raise BuildError(
            f"chainlet `{chainlet}`: {requirement}: PyPI's torch {minor} is built for CUDA {pypi} "
            f"and {problem}, and the PyTorch index has no torch {minor} build that serves it; "
            f"{_way_out(gpu, minor)}"
        )
    # The serving build nearest to PyPI's: the lowest above it, or the highest below it.
    cuda = min(serving, key=lambda c: abs(_as_number(c) - _as_number(pypi)))
    constraint = f"torch=={version}+{cuda_tag(cuda)}" if version else None
    return TorchBuild(
        cuda,
        index_url(cuda),
        constraint,
        (
            f"{requirement}: PyPI's torch {minor} wheel is built for CUDA {pypi}, but {problem}",
            f"so torch comes from the PyTorch index's CUDA {cuda} build ({index_url(cuda)})",
        ),
    )


def _unpinned(chainlet: str, gpu: Accelerator) -> TorchBuild:
    """No torch pin: hold torch to the newest known minor version and a build serving the GPU."""
    for minor in sorted(TORCH_PYPI_CUDA, key=version_key, reverse=True):
        builds = [TORCH_PYPI_CUDA[minor], *reversed(TORCH_INDEX_CUDA.get(minor, ()))]
        for cuda in builds:
            if why_not_served(gpu, cuda) is None:
                return TorchBuild(
                    cuda,
                    index_url(cuda),
                    f"torch=={minor}.*",
                    (
                        "torch is not pinned (or comes in through another package): held to "
                        f"torch {minor}, whose CUDA {cuda} build serves {gpu.name}, from "
                        f"{index_url(cuda)}; pin torch to choose (lint rule CH723)",
                    ),
                )
    raise BuildError(
        f"chainlet `{chainlet}`: no torch build in chains-build's tables serves GPU {gpu.name}; "
        "set DockerImage.base_image to an image with a torch that supports it"
    )


def _way_out(gpu: Accelerator, minor: str) -> str:
    fitting = [
        m
        for m in sorted(TORCH_PYPI_CUDA, key=version_key)
        if any(why_not_served(gpu, c) is None for c in (TORCH_PYPI_CUDA[m], *TORCH_INDEX_CUDA[m]))
    ]
    if not fitting:
        return "set DockerImage.base_image to an image with a torch that supports it"
    same = [c for c in TORCH_INDEX_CUDA.get(minor, ()) if why_not_served(gpu, c) is None]
    if same:
        return (
            f"pin torch {minor}'s CUDA {same[0]} build (e.g. torch=={minor}.0+{cuda_tag(same[0])})"
            ", or set DockerImage.base_image"
        )
    newer = [m for m in fitting if version_key(m) > version_key(minor)]
    older = [m for m in fitting if version_key(m) < version_key(minor)]
    if newer:
        options = f"pin torch {newer[0]} or newer"
    else:
        options = f"pin torch {older[-1]} or older"
        builds = [c for c in TORCH_INDEX_CUDA[older[-1]] if why_not_served(gpu, c) is None]
        if builds:
            options += f" (e.g. torch=={older[-1]}.0+{cuda_tag(builds[-1])})"
    return f"{options}, or set DockerImage.base_image"


def _as_number(cuda: str) -> float:
    major, minor = version_key(cuda)
    return major + minor / 100
