"""Which image a chainlet's Dockerfile starts ``FROM``: tables, and the choice with its reasons.

CPU chainlets run on ``python:X.Y-slim``. GPU chainlets run on an ``nvidia/cuda`` cuDNN runtime
image whose CUDA is at least the GPU's minimum (``chains_lint.model.accelerators``) and, when
``pip_requirements`` pins torch, one torch publishes wheels for: the lowest CUDA in
:data:`CUDA_IMAGES` that satisfies both. ``DockerImage.base_image`` (a ``CustomImage``) wins over
the tables, and ``--base-image`` wins over everything. Every choice records one sentence per
fact that decided it, which ``chains-build --explain`` prints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from chains_build import checks
from chains_build.errors import BuildError
from chains_build.plan import BaseImage
from chains_lint.model.accelerators import (
    PUBLIC_ACCELERATOR_NAMES,
    Accelerator,
    accelerator,
    accelerator_ignoring_case,
)
from chains_lint.model.remote_config.constructors import BASETEN_IMAGE_PREFIX


@dataclass(frozen=True)
class CudaImage:
    """An ``nvidia/cuda`` runtime image with cuDNN, and the Python its Ubuntu installs."""

    cuda: str
    image: str
    ubuntu: str
    python: str


# One image per CUDA minor version, oldest first. The runtime images carry the CUDA and cuDNN
# libraries but no Python: the Dockerfile installs Ubuntu's python3 and python3-venv.
CUDA_IMAGES: tuple[CudaImage, ...] = (
    CudaImage("11.7", "nvidia/cuda:11.7.1-cudnn8-runtime-ubuntu22.04", "22.04", "3.10"),
    CudaImage("11.8", "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04", "22.04", "3.10"),
    CudaImage("12.1", "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04", "22.04", "3.10"),
    CudaImage("12.4", "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", "22.04", "3.10"),
    CudaImage("12.6", "nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04", "24.04", "3.12"),
    CudaImage("12.8", "nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04", "24.04", "3.12"),
    CudaImage("12.9", "nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04", "24.04", "3.12"),
)

# torch minor version -> the CUDA versions of the wheels it publishes on download.pytorch.org.
TORCH_CUDA: dict[str, tuple[str, ...]] = {
    "2.0": ("11.7", "11.8"),
    "2.1": ("11.8", "12.1"),
    "2.2": ("11.8", "12.1"),
    "2.3": ("11.8", "12.1"),
    "2.4": ("11.8", "12.1", "12.4"),
    "2.5": ("11.8", "12.1", "12.4"),
    "2.6": ("11.8", "12.4", "12.6"),
    "2.7": ("11.8", "12.6", "12.8"),
    "2.8": ("12.6", "12.8", "12.9"),
}

CPU_IMAGE = "python:{version}-slim"
MIN_PYTHON = (3, 10)
"""The oldest Python chains_runtime runs on."""

# Images known to come without Python; the Dockerfile installs it with apt.
_IMAGES_WITHOUT_PYTHON = ("nvidia/cuda:", "ubuntu:", "debian:")

# torch==2.3.0, torch===2.3.1+cu121, torch==2.3.*, torch~=2.3.0, torch[extra] == 2.3.0 ; marker
_TORCH_PIN = re.compile(
    r"""^\s*torch\s*(?:\[[^\]]*\])?\s*
    (?P<op>===|==|~=)\s*
    (?P<major>\d+)\.(?P<minor>\d+)(?P<patch>\.(?:\d+|\*))?(?:\.\d+)*
    (?:\+(?P<local>[A-Za-z0-9.]+))?
    \s*(?:;.*)?$""",
    re.VERBOSE,
)
_LOCAL_CUDA = re.compile(r"cu(?P<major>\d\d)(?P<minor>\d)")


@dataclass(frozen=True)
class TorchPin:
    requirement: str
    minor: str
    """``"2.3"``."""
    cuda: str | None
    """The CUDA of a local version such as ``+cu121`` (``"12.1"``); None when not given."""
    cpu_build: bool = False


def parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def torch_pin(requirements: Sequence[str]) -> TorchPin | None:
    """The torch version ``requirements`` pin to one minor release, if any.

    ``torch>=2.3`` is not a pin (pip may install any later version); ``torch~=2.3.0`` is.
    """
    for requirement in requirements:
        match = _TORCH_PIN.match(requirement)
        if match is None:
            continue
        if match["op"] == "~=" and match["patch"] is None:
            continue  # ~=2.3 allows every 2.x from 2.3 on
        local = match["local"] or ""
        cuda_match = _LOCAL_CUDA.fullmatch(local)
        cuda = f"{int(cuda_match['major'])}.{cuda_match['minor']}" if cuda_match else None
        minor = f"{match['major']}.{match['minor']}"
        return TorchPin(requirement.strip(), minor, cuda, cpu_build=local == "cpu")
    return None


def find_accelerator(gpu: str, chainlet: str) -> Accelerator:
    """The accelerator ``gpu`` names, or a BuildError listing the known ones."""
    found = accelerator(gpu) or accelerator_ignoring_case(gpu)
    if found is None:
        raise BuildError(
            f"chainlet `{chainlet}`: unknown GPU {gpu!r}; use one of "
            f"{', '.join(PUBLIC_ACCELERATOR_NAMES)}"
        )
    return found


def choose_base_image(
    *,
    chainlet: str,
    python_version: str,
    python_source: str,
    gpu: str | None,
    requirements: Sequence[str],
    configured_image: str | None,
    python_executable: str | None,
    override: str | None,
) -> BaseImage:
    """The base image of one chainlet, with the reasons ``--explain`` prints.

    ``configured_image`` is ``DockerImage.base_image`` as the linter reads it (an image name,
    or ``"baseten:py311"`` for ``BasetenImage.PY311``); ``python_source`` says where
    ``python_version`` comes from, e.g. ``"the building interpreter's"``.
    """
    if python_executable is not None:
        checks.check_executable(chainlet, python_executable)
    if override is not None:
        checks.check_image_reference("--base-image", override)
        return _named_image(
            override, f"--base-image {override} replaces every chainlet's base image", None
        )
    if configured_image is not None and not configured_image.startswith(BASETEN_IMAGE_PREFIX):
        checks.check_image_reference(
            f"chainlet `{chainlet}`: DockerImage.base_image", configured_image
        )
        return _named_image(
            configured_image,
            f"DockerImage.base_image is CustomImage(image={configured_image!r})",
            python_executable,
        )
    if configured_image is not None:
        python_version, python_source = _baseten_python(configured_image, chainlet)
    if gpu is not None:
        return _cuda_image(chainlet, find_accelerator(gpu, chainlet), requirements, python_version)
    return BaseImage(
        image=CPU_IMAGE.format(version=python_version),
        reasons=(
            "no GPU: a slim Python image",
            f"Python {python_version} ({python_source})",
        ),
        has_python=True,
    )


def _named_image(image: str, reason: str, python_executable: str | None) -> BaseImage:
    has_python = python_executable is not None or not image.startswith(_IMAGES_WITHOUT_PYTHON)
    reasons = [reason]
    if python_executable is not None:
        reasons.append(f"its Python is {python_executable} (CustomImage.python_executable_path)")
    elif not has_python:
        reasons.append("it has no Python: the Dockerfile installs python3 and python3-venv")
    else:
        reasons.append("it must provide python3 with the venv module")
    return BaseImage(image=image, reasons=tuple(reasons), has_python=has_python)


def _baseten_python(configured: str, chainlet: str) -> tuple[str, str]:
    """``"baseten:py310"`` -> ``("3.10", "BasetenImage.PY310")``."""
    digits = configured[len(BASETEN_IMAGE_PREFIX) :].removeprefix("py")
    version = f"{digits[0]}.{digits[1:]}"
    if parse_version(version) < MIN_PYTHON:
        raise BuildError(
            f"chainlet `{chainlet}`: DockerImage.base_image is BasetenImage.PY{digits}, but "
            f"chains_runtime needs Python {'.'.join(map(str, MIN_PYTHON))} or newer; use "
            "BasetenImage.PY310 or later"
        )
    return version, f"BasetenImage.PY{digits}"


def _cuda_image(
    chainlet: str, gpu: Accelerator, requirements: Sequence[str], python_version: str
) -> BaseImage:
    if gpu.min_cuda is None:
        raise BuildError(
            f"chainlet `{chainlet}`: the minimum CUDA version of GPU {gpu.name} is not known; "
            "set DockerImage(base_image=CustomImage(image=...)) to choose the image"
        )
    reasons = [
        f"GPU {gpu.name} ({gpu.architecture}, compute capability {gpu.compute_capability}) "
        f"needs CUDA >= {gpu.min_cuda}"
    ]
    allowed: tuple[str, ...] | None = None
    pin = torch_pin(requirements)
    if pin is not None:
        allowed, reason = _torch_cudas(pin)
        reasons.append(reason)
    minimum = parse_version(gpu.min_cuda)
    candidates = [
        image
        for image in CUDA_IMAGES
        if parse_version(image.cuda) >= minimum and (allowed is None or image.cuda in allowed)
    ]
    if not candidates:
        raise BuildError(_unsatisfiable(chainlet, gpu, pin, allowed))
    chosen = candidates[0]
    reasons.append(
        f"the lowest CUDA that satisfies {'both' if allowed is not None else 'it'}: "
        f"{chosen.cuda} (Ubuntu {chosen.ubuntu}, whose python3 is {chosen.python}; "
        f"the chain asks for {python_version})"
    )
    return BaseImage(image=chosen.image, reasons=tuple(reasons), has_python=False, cuda=chosen.cuda)


def _torch_cudas(pin: TorchPin) -> tuple[tuple[str, ...] | None, str]:
    if pin.cpu_build:
        return None, f"{pin.requirement} is a CPU build of torch: it will not use the GPU"
    if pin.cuda is not None:
        return (pin.cuda,), f"{pin.requirement} is the torch build for CUDA {pin.cuda}"
    known = TORCH_CUDA.get(pin.minor)
    if known is None:
        return None, (
            f"{pin.requirement}: torch {pin.minor} is not in the table of torch CUDA builds, "
            "so the GPU alone decides"
        )
    return known, f"{pin.requirement}: torch {pin.minor} has wheels for CUDA {', '.join(known)}"


def _unsatisfiable(
    chainlet: str, gpu: Accelerator, pin: TorchPin | None, allowed: tuple[str, ...] | None
) -> str:
    prefix = f"chainlet `{chainlet}`: GPU {gpu.name} needs CUDA >= {gpu.min_cuda}"
    if pin is None or allowed is None:
        return f"{prefix}, and no known CUDA image is that new; set DockerImage.base_image"
    minimum = parse_version(gpu.min_cuda or "0")
    fitting = [
        minor
        for minor, cudas in TORCH_CUDA.items()
        if any(parse_version(cuda) >= minimum for cuda in cudas)
    ]
    fix = f"pin torch {fitting[0]} or newer, or " if fitting else ""
    return (
        f"{prefix}, but {pin.requirement} is built only for CUDA {', '.join(allowed)}: "
        f"{fix}set DockerImage.base_image"
    )
