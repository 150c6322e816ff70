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
12.8 builds). GPUs older than Turing (compute capability below 7.5; of the GPUs a chainlet can
ask for, only V100, sm_70) depend on the torch release as well (:func:`why_not_served`):

- every build for CUDA 12.6 or older has sm_50, sm_60 and sm_70 kernels;
- torch 2.7's CUDA 12.8 build starts at sm_75 (its build script's ``TORCH_CUDA_ARCH_LIST``
  for 12.8 is ``7.5;8.0;8.6;9.0;10.0;12.0+PTX``, quoted in mlverse/torch#1348);
- torch 2.8, 2.9 and 2.10's CUDA 12.8 and 12.9 builds have sm_70 again (Maxwell and Pascal
  stay dropped): pytorch/pytorch#160269 (release engineer's answer: "Volta is still
  supported for both CUDA 12.8 and 12.9 builds", release notes corrected), PR #157968 on the
  2.8 branch, and RELEASE.md's matrix for 2.9 and 2.10 (12.8.1: Volta(7.0) to Blackwell);
- torch 2.11 removed Volta from its CUDA 12.8 build (pytorch/pytorch#172352, PR #175253,
  the dev-discuss post "Dropping Volta support from CUDA-12.8 binaries for release 2.11");
- CUDA 13 builds start at sm_75 (RELEASE.md: 13.0 Turing(7.5) to Blackwell).

An unpinned torch, and a torch another package brings in (``TORCH_DEPENDENTS``), is held to
the build with the lowest CUDA that serves the GPU on an image NVIDIA still supports: the
oldest driver that can run it (:func:`choose_torch_build`).
"""

from __future__ import annotations

from collections.abc import Callable
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
"""The newest torch minor version the tables know."""

_PRE_TURING_LAST_CUDA = "12.6"
"""The newest CUDA whose torch builds carry kernels for every compute capability below 7.5."""
_VOLTA_CUDA_12_8: dict[str, tuple[str, ...]] = {
    "2.8": ("12.8", "12.9"),
    "2.9": ("12.8", "12.9"),
    "2.10": ("12.8", "12.9"),
}
"""torch releases whose newer CUDA 12 builds have sm_70 kernels again (module docstring)."""


def version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def cuda_tag(cuda: str) -> str:
    """``"12.8"`` -> ``"cu128"``."""
    major, minor = cuda.split(".")
    return f"cu{major}{minor}"


def index_url(cuda: str | None) -> str:
    """The PyTorch index of the builds for ``cuda`` (None: the CPU builds)."""
    return f"{PYTORCH_INDEX}/{cuda_tag(cuda) if cuda else 'cpu'}"


# The values uv 0.13.9's ``--torch-backend`` accepts for CUDA and CPU (``uv pip install --help``).
UV_TORCH_BACKENDS = frozenset(
    [
        "cpu",
        "cu132",
        "cu130",
        "cu129",
        "cu128",
        "cu126",
        "cu125",
        "cu124",
        "cu123",
        "cu122",
        "cu121",
        "cu120",
        "cu118",
        "cu117",
        "cu116",
        "cu115",
        "cu114",
        "cu113",
        "cu112",
        "cu111",
        "cu110",
        "cu102",
        "cu101",
        "cu100",
        "cu92",
        "cu91",
        "cu90",
        "cu80",
    ]
)

TORCH_BACKEND_PACKAGES = (
    "torch",
    "torch-model-archiver",
    "torch-tb-profiler",
    "torcharrow",
    "torchaudio",
    "torchcsprng",
    "torchdata",
    "torchdistx",
    "torchserve",
    "torchtext",
    "torchvision",
    "triton",
    "pytorch-triton",
)
"""What ``uv pip --torch-backend`` fetches from the PyTorch index; every other package comes
from PyPI only. Source: ``TorchStrategy::applies_to`` in astral-sh/uv's
``crates/uv-torch/src/backend.rs``."""


def torch_backend(index: str) -> str:
    """``uv pip --torch-backend`` for a PyTorch index URL: ``.../whl/cu128`` -> ``"cu128"``.

    The Dockerfile and ``chains-build lock`` pass it instead of ``--extra-index-url``, so the
    PyTorch index supplies only the PyTorch packages (:data:`TORCH_BACKEND_PACKAGES`): with an
    extra index and ``unsafe-best-match`` it could supply any package it mirrors (numpy,
    jinja2, requests, ...), and with uv's default ``first-index`` it would even be preferred
    for them.
    """
    backend = index.rstrip("/").rsplit("/", 1)[-1]
    if not index.startswith(f"{PYTORCH_INDEX}/") or backend not in UV_TORCH_BACKENDS:
        raise BuildError(
            f"{index} is not a PyTorch index uv can route torch to (uv --torch-backend accepts "
            "cu80 to cu132 and cpu); pin a torch build with one of those CUDA versions"
        )
    return backend


def why_not_served(gpu: Accelerator, cuda: str, minor: str | None = None) -> str | None:
    """Why torch ``minor``'s build for ``cuda`` has no kernels for ``gpu``; None when it has.

    ``minor`` None: a torch release not known, judged by what holds for every release.
    """
    if gpu.min_cuda is not None and version_key(cuda) < version_key(gpu.min_cuda):
        return f"{gpu.name} needs a build for CUDA >= {gpu.min_cuda}"
    capability = gpu.compute_capability
    if (
        capability is None
        or version_key(capability) >= (7, 5)
        or version_key(cuda) <= version_key(_PRE_TURING_LAST_CUDA)
    ):
        return None
    if version_key(capability) >= (7, 0) and cuda in _VOLTA_CUDA_12_8.get(minor or "", ()):
        return None
    volta = ", except torch 2.8-2.10's CUDA 12.8/12.9 builds" if capability == "7.0" else ""
    return (
        f"{gpu.name} (compute capability {capability}) has no kernels in torch builds "
        f"for CUDA newer than {_PRE_TURING_LAST_CUDA}{volta}"
    )


@dataclass(frozen=True)
class TorchBuild:
    """The torch build a GPU chainlet installs, and where from."""

    cuda: str
    """The CUDA of the build, e.g. ``"12.8"``: the image's CUDA."""
    index: str | None
    """The PyTorch index it comes from (``--torch-backend``), or None for PyPI's build."""
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
    image_cuda: Callable[[str], str | None],
    brought_by: str | None = None,
) -> TorchBuild:
    """The torch build for a GPU chainlet.

    ``requirement`` is the torch pin as written (None: torch is not pinned), ``minor`` its
    minor version (``"2.7"``), ``version`` the exact version when the pin is ``==X.Y.Z``, and
    ``local_cuda`` the CUDA a ``+cuXYZ`` local version names. ``image_cuda`` maps a build's
    CUDA to the CUDA of the supported image it would run on (None: no supported image).
    ``brought_by``: the requirement that brings torch in when torch is not listed itself.
    """
    if requirement is None or minor is None:
        return _unpinned(chainlet, gpu, image_cuda, brought_by)
    if local_cuda is not None:
        if cuda_tag(local_cuda) not in UV_TORCH_BACKENDS:
            raise BuildError(
                f"chainlet `{chainlet}`: {requirement} names CUDA {local_cuda}, which uv "
                "--torch-backend accepts no PyTorch index for (it accepts cu80 to cu132); pin "
                f"a build the PyTorch index publishes, e.g. torch=={minor}.0+"
                f"{cuda_tag(TORCH_PYPI_CUDA.get(minor) or TORCH_PYPI_CUDA[NEWEST_TORCH])}"
            )
        problem = why_not_served(gpu, local_cuda, minor)
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
            f"(e.g. torch=={minor}.0+{cuda_tag(TORCH_PYPI_CUDA[NEWEST_TORCH])}) or "
            "a torch from "
            f"{min(TORCH_PYPI_CUDA, key=version_key)} to {NEWEST_TORCH}"
        )
    problem = why_not_served(gpu, pypi, minor)
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
        cuda for cuda in TORCH_INDEX_CUDA.get(minor, ()) if why_not_served(gpu, cuda, minor) is None
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


def _unpinned(
    chainlet: str,
    gpu: Accelerator,
    image_cuda: Callable[[str], str | None],
    brought_by: str | None = None,
) -> TorchBuild:
    """No torch pin: the build with the lowest CUDA that serves the GPU on a supported image.

    The lowest CUDA asks the least of the node's driver (CUDA 13 builds need driver 580 or
    newer, CUDA 12 builds 525 or newer). Among the builds whose image has that CUDA, the newest
    torch release wins, then the higher build CUDA; the tables decide, so the choice is the
    same on every machine. torch itself is held to that release (``torch==2.6.*``); a torch
    another package brings in is only routed to that CUDA's index (``--torch-backend``), so
    every torch the resolver may pick has this CUDA, and the package keeps choosing the release.
    """
    candidates: list[tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], str, str]] = []
    for minor in TORCH_PYPI_CUDA:
        for cuda in {TORCH_PYPI_CUDA[minor], *TORCH_INDEX_CUDA.get(minor, ())}:
            image = image_cuda(cuda)
            if image is None or why_not_served(gpu, cuda, minor) is not None:
                continue
            order = (version_key(image), _descending(minor), _descending(cuda))
            candidates.append((*order, minor, cuda))
    if not candidates:
        raise BuildError(
            f"chainlet `{chainlet}`: no torch build in chains-build's tables serves GPU "
            f"{gpu.name} on a supported CUDA image; set DockerImage.base_image to an image with "
            "a torch that supports it"
        )
    *_, minor, cuda = min(candidates)
    image = image_cuda(cuda)
    where = f"from {index_url(cuda)} (uv --torch-backend {cuda_tag(cuda)})"
    if brought_by is not None:
        return TorchBuild(
            cuda,
            index_url(cuda),
            None,
            (
                f"torch is not listed, but {brought_by} brings it in: torch comes {where}, the "
                f"CUDA {cuda} builds, the lowest CUDA that serves {gpu.name} on a supported "
                f"image (CUDA {image}; the oldest driver); {brought_by} chooses the release (the "
                f"newest with a CUDA {cuda} build is torch {minor}); list a torch pin to choose "
                "(lint rule CH723)",
            ),
        )
    return TorchBuild(
        cuda,
        index_url(cuda),
        f"torch=={minor}.*",
        (
            f"torch is not pinned: held to torch {minor}'s CUDA {cuda} build {where}: the "
            f"lowest CUDA that serves {gpu.name} on a supported image (CUDA {image}; the "
            f"oldest driver), and the newest torch built for it; pin torch to choose (lint "
            "rule CH723)",
        ),
    )


def _descending(text: str) -> tuple[int, ...]:
    return tuple(-part for part in version_key(text))


def _way_out(gpu: Accelerator, minor: str) -> str:
    fitting = [
        m
        for m in sorted(TORCH_PYPI_CUDA, key=version_key)
        if any(
            why_not_served(gpu, c, m) is None for c in (TORCH_PYPI_CUDA[m], *TORCH_INDEX_CUDA[m])
        )
    ]
    if not fitting:
        return "set DockerImage.base_image to an image with a torch that supports it"
    same = [c for c in TORCH_INDEX_CUDA.get(minor, ()) if why_not_served(gpu, c, minor) is None]
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
        builds = [
            c for c in TORCH_INDEX_CUDA[older[-1]] if why_not_served(gpu, c, older[-1]) is None
        ]
        if builds:
            options += f" (e.g. torch=={older[-1]}.0+{cuda_tag(builds[-1])})"
    return f"{options}, or set DockerImage.base_image"


def _as_number(cuda: str) -> float:
    major, minor = version_key(cuda)
    return major + minor / 100
