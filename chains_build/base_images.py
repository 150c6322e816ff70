"""Which image a chainlet's Dockerfile starts ``FROM``: tables, and the choice with its reasons.

CPU chainlets run on ``python:X.Y-slim``; when they install torch, it comes from the PyTorch
CPU index. GPU chainlets run on an ``nvidia/cuda`` cuDNN runtime image whose CUDA is the CUDA
of the torch build they install (``chains_build.torch_builds``): PyPI's wheel when it has
kernels for the GPU, else the PyTorch index's build for a CUDA that has; an unpinned torch, or
one a known package brings in (``TORCH_DEPENDENTS``), gets the build with the lowest CUDA that
serves the GPU on a supported image (the oldest driver). The image is the lowest NVIDIA still
supports of that CUDA major version at or above the wheel's CUDA. A GPU chainlet without torch
gets the lowest supported image that serves the GPU. Grace (aarch64) GPUs are refused: the
images are x86_64 (``GRACE_GPUS``). ``DockerImage.base_image`` (a ``CustomImage``) wins over
the tables, and ``--base-image`` wins over everything. Every choice records one sentence per
fact that decided it, which ``chains-build --explain`` prints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from chains_build import checks
from chains_build.errors import BuildError
from chains_build.plan import BaseImage
from chains_build.torch_builds import choose_torch_build, index_url
from chains_lint.model.accelerators import (
    PUBLIC_ACCELERATOR_NAMES,
    Accelerator,
    accelerator,
    accelerator_ignoring_case,
)
from chains_lint.model.remote_config.constructors import BASETEN_IMAGE_PREFIX
from chains_lint.model.torch_requirements import TORCH_PIN, names_torch, torch_dependent


@dataclass(frozen=True)
class CudaImage:
    """An ``nvidia/cuda`` runtime image with cuDNN."""

    cuda: str
    image: str
    ubuntu: str
    supported: bool = True
    """False when NVIDIA marks the CUDA version's images end of life."""


# One image per CUDA minor version, oldest first: the newest point release of each (NVIDIA
# supports only that one), on the newest Ubuntu it is published for. The runtime images carry
# the CUDA and cuDNN libraries but no Python: the Dockerfile installs the chain's Python with
# uv. Tags: the nvidia/cuda tags on Docker Hub as listed in replicate/cog's
# pkg/config/cuda_compatibility.json (commit 6110c912; -runtime- beside each -devel- tag).
# Support: NVIDIA's CUDA image support policy (gitlab.com/nvidia/container-images/cuda,
# doc/support-policy.md, issue 177): a CUDA version's images reach end of life with the driver
# branch they shipped with, and EOL tags are deleted after six months; 11.7, 11.8 and 12.1 are
# end of life (their images print the deprecation notice).
CUDA_IMAGES: tuple[CudaImage, ...] = (
    CudaImage("11.8", "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04", "22.04", supported=False),
    CudaImage("12.1", "nvidia/cuda:12.1.1-cudnn8-runtime-ubuntu22.04", "22.04", supported=False),
    CudaImage("12.4", "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", "22.04"),
    CudaImage("12.6", "nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04", "24.04"),
    CudaImage("12.8", "nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04", "24.04"),
    CudaImage("12.9", "nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04", "24.04"),
    CudaImage("13.0", "nvidia/cuda:13.0.3-cudnn-runtime-ubuntu24.04", "24.04"),
    CudaImage("13.1", "nvidia/cuda:13.1.2-cudnn-runtime-ubuntu24.04", "24.04"),
    CudaImage("13.2", "nvidia/cuda:13.2.1-cudnn-runtime-ubuntu24.04", "24.04"),
)

GRACE_GPUS = frozenset({"GB300", "GH200", "GB200"})
"""GPUs on NVIDIA Grace (aarch64) machines. chains-build builds x86_64 images only (its torch
tables are the x86_64 wheels, locks resolve for x86_64, the manifests select no architecture),
so it refuses them rather than emit images that cannot start there."""

CPU_IMAGE = "python:{version}-slim"
MIN_PYTHON = (3, 10)
"""The oldest Python chains_runtime runs on."""

# Images known to come without Python; the Dockerfile installs it with uv.
_IMAGES_WITHOUT_PYTHON = ("nvidia/cuda:", "ubuntu:", "debian:")

_LOCAL_CUDA = re.compile(r"cu(?P<major>\d\d)(?P<minor>\d)")


@dataclass(frozen=True)
class TorchPin:
    requirement: str
    minor: str
    """``"2.3"``."""
    cuda: str | None
    """The CUDA of a local version such as ``+cu121`` (``"12.1"``); None when not given."""
    cpu_build: bool = False
    version: str | None = None
    """The exact version of an ``==X.Y.Z`` pin, without its local part; None otherwise."""


def parse_version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def torch_pin(requirements: Sequence[str]) -> TorchPin | None:
    """The torch version ``requirements`` pin to one minor release, if any.

    ``torch>=2.3`` is not a pin (pip may install any later version); ``torch~=2.3.0`` is.
    """
    for requirement in requirements:
        match = TORCH_PIN.match(requirement)
        if match is None:
            continue
        if match["op"] == "~=" and match["patch"] is None:
            continue  # ~=2.3 allows every 2.x from 2.3 on
        local = match["local"] or ""
        cuda_match = _LOCAL_CUDA.fullmatch(local)
        cuda = f"{int(cuda_match['major'])}.{cuda_match['minor']}" if cuda_match else None
        minor = f"{match['major']}.{match['minor']}"
        exact = match["op"] != "~=" and "*" not in match["version"] and match["patch"]
        return TorchPin(
            requirement.strip(),
            minor,
            cuda,
            cpu_build=local == "cpu",
            version=match["version"] if exact else None,
        )
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
    if gpu is not None:
        _refuse_grace(chainlet, gpu)
    if override is not None:
        checks.check_image_reference("--base-image", override)
        named = _named_image(
            override, f"--base-image {override} replaces every chainlet's base image", None
        )
        return _with_cpu_torch(named, gpu, requirements)
    if configured_image is not None and not configured_image.startswith(BASETEN_IMAGE_PREFIX):
        checks.check_image_reference(
            f"chainlet `{chainlet}`: DockerImage.base_image", configured_image
        )
        named = _named_image(
            configured_image,
            f"DockerImage.base_image is CustomImage(image={configured_image!r})",
            python_executable,
        )
        return _with_cpu_torch(named, gpu, requirements)
    if configured_image is not None:
        python_version, python_source = _baseten_python(configured_image, chainlet)
    if gpu is not None:
        return _cuda_image(chainlet, find_accelerator(gpu, chainlet), requirements, python_version)
    index, torch_reason = cpu_torch_index(requirements)
    return BaseImage(
        image=CPU_IMAGE.format(version=python_version),
        reasons=(
            "no GPU: a slim Python image",
            f"Python {python_version} ({python_source})",
            *((torch_reason,) if torch_reason else ()),
        ),
        has_python=True,
        package_index=index,
    )


def _refuse_grace(chainlet: str, gpu: str) -> None:
    found = accelerator(gpu) or accelerator_ignoring_case(gpu)
    name = found.name if found is not None else gpu.strip().upper()
    if name in GRACE_GPUS:
        raise BuildError(
            f"chainlet `{chainlet}`: GPU {name} runs on Grace (arm64/aarch64) machines, and "
            "chains-build builds x86_64 images only (arm64 is not supported yet); choose an "
            "x86_64 GPU such as B300 or B200"
        )


def _with_cpu_torch(base: BaseImage, gpu: str | None, requirements: Sequence[str]) -> BaseImage:
    """A named image decides the CUDA; without a GPU, torch still comes from the CPU index."""
    if gpu is not None:
        return base
    index, reason = cpu_torch_index(requirements)
    if index is None or reason is None:
        return base
    return replace(base, reasons=(*base.reasons, reason), package_index=index)


def _named_image(image: str, reason: str, python_executable: str | None) -> BaseImage:
    has_python = python_executable is not None or not image.startswith(_IMAGES_WITHOUT_PYTHON)
    reasons = [reason]
    if python_executable is not None:
        reasons.append(f"its Python is {python_executable} (CustomImage.python_executable_path)")
    elif not has_python:
        reasons.append("it has no Python: the Dockerfile installs the chain's Python with uv")
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
    pin = torch_pin(requirements)
    if pin is not None and pin.cpu_build:
        raise BuildError(
            f"chainlet `{chainlet}`: {pin.requirement} is a CPU build of torch on a {gpu.name} "
            f"chainlet: it would not use the GPU; pin torch=={pin.version or pin.minor + '.0'} "
            "(or a +cuXYZ build), or drop the GPU"
        )
    brought_by = None
    if pin is None and not names_torch(requirements):
        brought_by = torch_dependent(requirements)
    if pin is None and not names_torch(requirements) and brought_by is None:
        image = _lowest_supported(gpu.min_cuda)
        if image is None:
            raise BuildError(
                f"chainlet `{chainlet}`: GPU {gpu.name} needs CUDA >= {gpu.min_cuda}, and no "
                "known CUDA image is that new; set DockerImage.base_image"
            )
        reasons += [
            "no torch in the requirements: the lowest CUDA image NVIDIA supports that serves "
            f"the GPU, {image.cuda} (a torch a package chains-build does not know brings in "
            "keeps PyPI's CUDA: list torch to choose it)",
        ]
        return _gpu_base(image, reasons, python_version, None, ())
    build = choose_torch_build(
        chainlet,
        gpu,
        requirement=pin.requirement if pin else None,
        minor=pin.minor if pin else None,
        version=pin.version if pin else None,
        local_cuda=pin.cuda if pin else None,
        image_cuda=_supported_image_cuda,
        brought_by=brought_by,
    )
    reasons += build.reasons
    image = _image_for(build.cuda)
    if image is None:
        raise BuildError(
            f"chainlet `{chainlet}`: the torch build for CUDA {build.cuda} needs an nvidia/cuda "
            "image chains-build does not know; set DockerImage.base_image"
        )
    major = build.cuda.split(".")[0]
    if not image.supported:
        reasons.append(
            f"image CUDA {image.cuda}: NVIDIA marks it end of life (its tags may be deleted) and "
            f"no supported CUDA {major}.x image exists: pin a newer torch to move on"
        )
    elif image.cuda != build.cuda:
        reasons.append(
            f"image CUDA {image.cuda}: the lowest NVIDIA still supports in CUDA {major}.x at or "
            f"above the wheel's {build.cuda} (CUDA minor version compatibility)"
        )
    constraints = (build.constraint,) if build.constraint else ()
    return _gpu_base(image, reasons, python_version, build.index, constraints)


def _gpu_base(
    image: CudaImage,
    reasons: list[str],
    python_version: str,
    index: str | None,
    constraints: tuple[str, ...],
) -> BaseImage:
    reasons.append(
        f"{image.image} (CUDA {image.cuda}, Ubuntu {image.ubuntu}) with Python "
        f"{python_version} installed by uv, not Ubuntu's python3"
    )
    return BaseImage(
        image=image.image,
        reasons=tuple(reasons),
        has_python=False,
        cuda=image.cuda,
        package_index=index,
        constraints=constraints,
    )


def _image_for(cuda: str) -> CudaImage | None:
    """The image for a torch build's CUDA: the lowest supported one of the same major version
    at or above it, else the lowest end-of-life one."""
    wanted = parse_version(cuda)
    fitting = [
        image
        for image in CUDA_IMAGES
        if parse_version(image.cuda)[0] == wanted[0] and parse_version(image.cuda) >= wanted
    ]
    return next((image for image in fitting if image.supported), fitting[0] if fitting else None)


def _supported_image_cuda(cuda: str) -> str | None:
    """The CUDA of the supported image a torch build for ``cuda`` runs on; None: none is."""
    image = _image_for(cuda)
    return image.cuda if image is not None and image.supported else None


def _lowest_supported(minimum: str) -> CudaImage | None:
    return next(
        (
            image
            for image in CUDA_IMAGES
            if image.supported and parse_version(image.cuda) >= parse_version(minimum)
        ),
        None,
    )


def cpu_torch_index(requirements: Sequence[str]) -> tuple[str | None, str | None]:
    """A CPU chainlet that installs torch gets the CPU builds: (index, reason)."""
    pin = torch_pin(requirements)
    if pin is not None and pin.cuda is not None:
        return index_url(pin.cuda), (
            f"{pin.requirement} names the torch build for CUDA {pin.cuda} on a chainlet "
            f"without a GPU: installed from {index_url(pin.cuda)} as written"
        )
    if pin is None and not names_torch(requirements):
        brought_by = torch_dependent(requirements)
        if brought_by is None:
            return None, None
        return index_url(None), (
            f"torch from the CPU builds ({index_url(None)}, uv --torch-backend cpu): "
            f"{brought_by} brings it in, and without a GPU no CUDA libraries are needed"
        )
    return index_url(None), (
        f"torch from the CPU builds ({index_url(None)}): no GPU, so no CUDA libraries "
        "(gigabytes smaller)"
    )
