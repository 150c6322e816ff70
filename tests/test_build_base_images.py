"""Base image choice: CPU and GPU tables, torch pins, overrides, and the reasons given."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from chains_build.base_images import (
    CUDA_IMAGES,
    GRACE_GPUS,
    choose_base_image,
    parse_version,
    torch_pin,
)
from chains_build.errors import BuildError
from chains_build.plan import BaseImage
from chains_build.torch_builds import (
    NEWEST_TORCH,
    TORCH_INDEX_CUDA,
    TORCH_PYPI_CUDA,
    cuda_tag,
    why_not_served,
)
from chains_lint.model.accelerators import ACCELERATORS


def choose(
    gpu: str | None = None,
    requirements: Sequence[str] = (),
    *,
    configured: str | None = None,
    override: str | None = None,
    python_executable: str | None = None,
) -> BaseImage:
    return choose_base_image(
        chainlet="Model",
        python_version="3.11",
        python_source="the building interpreter's",
        gpu=gpu,
        requirements=requirements,
        configured_image=configured,
        python_executable=python_executable,
        override=override,
    )


def test_cpu_chainlets_get_the_slim_image_of_the_chains_python() -> None:
    base = choose()
    assert base.image == "python:3.11-slim"
    assert base.has_python and base.cuda is None
    assert any("3.11" in reason for reason in base.reasons)


def test_baseten_image_chooses_the_python_version() -> None:
    assert choose(configured="baseten:py310").image == "python:3.10-slim"
    with pytest.raises(BuildError, match=r"BasetenImage.PY39.*3\.10 or newer"):
        choose(configured="baseten:py39")


@pytest.mark.parametrize(
    ("gpu", "cuda", "image"),
    [
        ("T4", "12.4", "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"),
        ("A10G", "12.4", "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"),
        ("H100", "12.4", "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"),
        ("L4", "12.4", "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04"),
        ("B200", "12.8", "nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04"),
        ("B300", "12.9", "nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04"),
    ],
)
def test_gpu_chainlets_without_torch_get_the_lowest_supported_cuda_the_gpu_allows(
    gpu: str, cuda: str, image: str
) -> None:
    base = choose(gpu)
    assert (base.image, base.cuda, base.has_python) == (image, cuda, False)
    assert "needs CUDA >=" in base.reasons[0] and gpu in base.reasons[0]
    assert base.package_index is None and base.constraints == ()


def test_every_public_gpu_has_an_image() -> None:
    for accelerator in ACCELERATORS:
        if accelerator.internal:
            continue
        if accelerator.name in GRACE_GPUS:
            with pytest.raises(BuildError, match="arm64 is not supported yet"):
                choose(accelerator.name, ["torch"])
            continue
        for requirements in ([], ["torch"], [f"torch=={NEWEST_TORCH}.0"]):
            try:
                base = choose(accelerator.name, requirements)
            except BuildError as exc:  # only for GPUs no torch in the table serves
                assert requirements and "pin torch" in exc.message, accelerator.name
                continue
            assert base.cuda is not None and accelerator.min_cuda is not None
            assert parse_version(base.cuda) >= parse_version(accelerator.min_cuda)


def test_end_of_life_images_are_never_chosen_for_a_supported_major_version() -> None:
    for accelerator in ACCELERATORS:
        if accelerator.internal:
            continue
        for minor in TORCH_PYPI_CUDA:
            try:
                base = choose(accelerator.name, [f"torch=={minor}.0"])
            except BuildError:
                continue
            image = next(image for image in CUDA_IMAGES if image.image == base.image)
            if not image.supported:
                assert not any(
                    other.supported and other.cuda.split(".")[0] == image.cuda.split(".")[0]
                    for other in CUDA_IMAGES
                ), (accelerator.name, minor)
                assert any("end of life" in reason for reason in base.reasons)


@pytest.mark.parametrize(
    ("gpu", "requirement", "cuda", "index", "constraint"),
    [
        # PyPI's wheel serves the GPU: the image follows the wheel's CUDA (12.1 -> 12.4, the
        # lowest supported 12.x), no extra index.
        ("L4", "torch==2.4.1", "12.4", None, None),
        ("H100", "torch==2.3.0", "12.4", None, None),
        ("A10G", "torch==2.1.2", "12.4", None, None),
        ("H100", "torch==2.8.0", "12.8", None, None),
        ("H100", "torch~=2.9.0", "12.8", None, None),
        ("L4", "torch==2.6.*", "12.4", None, None),
        ("L4", "torch[opt] == 2.4.1 ; sys_platform == 'linux'", "12.4", None, None),
        ("H100", "torch==2.15.0", "13.2", None, None),
        ("B200", "torch==2.8.0", "12.8", None, None),
        # PyPI's wheel has no kernels for the GPU: the PyTorch index's build that has.
        ("B200", "torch==2.7.0", "12.8", "cu128", "torch==2.7.0+cu128"),
        ("B200", "torch==2.7.1", "12.8", "cu128", "torch==2.7.1+cu128"),
        ("B300", "torch==2.9.0", "13.0", "cu130", "torch==2.9.0+cu130"),
        # V100 (sm_70): torch 2.8-2.10's CUDA 12.8 wheels have its kernels, 2.7's and 2.11's
        # do not (pytorch/pytorch#160269, #172352; see chains_build.torch_builds).
        ("V100", "torch==2.8.0", "12.8", None, None),
        ("V100", "torch==2.10.0", "12.8", None, None),
        ("V100", "torch==2.9.1+cu128", "12.8", "cu128", None),
        ("V100", "torch==2.11.0", "12.6", "cu126", "torch==2.11.0+cu126"),
        # A +cuXYZ pin: that build, from its index.
        ("H100", "torch==2.4.1+cu124", "12.4", "cu124", None),
        ("H100", "torch===2.5.1+cu121", "12.4", "cu121", None),
    ],
)
def test_the_image_cuda_is_the_cuda_of_the_torch_build(
    gpu: str, requirement: str, cuda: str, index: str | None, constraint: str | None
) -> None:
    base = choose(gpu, ["numpy", requirement])
    assert base.cuda == cuda
    expected_index = f"https://download.pytorch.org/whl/{index}" if index else None
    assert base.package_index == expected_index
    assert base.constraints == ((constraint,) if constraint else ())
    assert any(requirement.split(";")[0].strip() in reason for reason in base.reasons)


def test_every_torch_pin_gets_an_image_of_its_wheels_cuda_major_at_or_above_it() -> None:
    for minor, pypi in TORCH_PYPI_CUDA.items():
        base = choose("A100", [f"torch=={minor}.0"])
        assert base.cuda is not None
        assert parse_version(base.cuda)[0] == parse_version(pypi)[0], minor
        assert parse_version(base.cuda) >= parse_version(pypi), minor
        assert base.package_index is None, minor


def test_unpinned_torch_is_held_to_the_lowest_cuda_that_serves_the_gpu() -> None:
    for requirement in ("torch", "torch>=2.3", "torch~=2.3"):
        base = choose("H100", [requirement])
        # CUDA 12.4 is the lowest supported image; torch 2.6 the newest with a cu124 build.
        assert base.constraints == ("torch==2.6.*",)
        assert base.cuda == "12.4"
        assert base.package_index == "https://download.pytorch.org/whl/cu124"
        assert any("not pinned" in reason and "CH723" in reason for reason in base.reasons)
        assert any("lowest CUDA that serves H100" in reason for reason in base.reasons)
    for accelerator in ACCELERATORS:
        if accelerator.internal or accelerator.name in GRACE_GPUS:
            continue
        base = choose(accelerator.name, ["torch"])
        assert accelerator.min_cuda is not None and base.cuda is not None
        lowest = next(
            image
            for image in CUDA_IMAGES
            if image.supported and parse_version(image.cuda) >= parse_version(accelerator.min_cuda)
        )
        assert base.cuda == lowest.cuda, accelerator.name
        minor = base.constraints[0].removeprefix("torch==").removesuffix(".*")
        tag = (base.package_index or "").rsplit("/", 1)[-1]
        builds = {TORCH_PYPI_CUDA[minor], *TORCH_INDEX_CUDA[minor]}
        assert tag in {cuda_tag(cuda) for cuda in builds}, accelerator.name
        # The same input gives the same choice.
        assert choose(accelerator.name, ["torch"]) == base
    assert choose("B200", ["torch"]).constraints == ("torch==2.11.*",)


@pytest.mark.parametrize(
    "requirement",
    ["transformers[torch]>=4.40", "sentence-transformers", "vllm==0.11.0", "Diffusers[Torch]"],
)
def test_a_torch_another_package_brings_in_is_routed_to_the_images_cuda(requirement: str) -> None:
    base = choose("L4", ["numpy", requirement])
    assert (base.cuda, base.package_index) == ("12.4", "https://download.pytorch.org/whl/cu124")
    assert base.constraints == ()  # the package chooses the torch release
    assert any(f"{requirement} brings it in" in reason for reason in base.reasons)
    cpu = choose(None, [requirement])
    assert cpu.package_index == "https://download.pytorch.org/whl/cpu"
    # A torch pin decides, as without the package.
    pinned = choose("L4", [requirement, "torch==2.8.0"])
    assert (pinned.cuda, pinned.package_index) == ("12.8", None)
    # transformers without its torch extra brings no torch.
    assert choose("L4", ["transformers"]).package_index is None


def test_grace_gpus_are_refused_even_with_a_named_image() -> None:
    for kwargs in ({}, {"configured": "nvcr.io/nvidia/pytorch:25.01-py3"}, {"override": "x:1"}):
        with pytest.raises(BuildError) as raised:
            choose("GB300", ["torch==2.9.1"], **kwargs)
        assert "arm64" in raised.value.message and "\n" not in raised.value.message


def test_volta_kernels_follow_the_torch_release() -> None:
    volta = next(a for a in ACCELERATORS if a.name == "V100")
    assert why_not_served(volta, "12.6", "2.11") is None
    assert why_not_served(volta, "12.8", "2.7") is not None
    for minor in ("2.8", "2.9", "2.10"):
        assert why_not_served(volta, "12.8", minor) is None
        assert why_not_served(volta, "12.9", minor) is None
        assert why_not_served(volta, "13.0", minor) is not None
    assert why_not_served(volta, "12.8", "2.11") is not None
    assert why_not_served(volta, "12.8") is not None  # release unknown: not assumed


@pytest.mark.parametrize(
    ("gpu", "requirement", "expected"),
    [
        ("B200", "torch==2.3.0", "pin torch 2.7 or newer, or set DockerImage.base_image"),
        ("B200", "torch==2.6.0", "pin torch 2.7 or newer"),
        ("V100", "torch==2.12.0", "pin torch 2.11 or older (e.g. torch==2.11.0+cu126)"),
        ("B200", "torch==2.7.0+cu126", "pin torch 2.7's CUDA 12.8 build (e.g. torch==2.7.0+cu128)"),
        ("H100", "torch==2.7.0+cpu", "CPU build of torch"),
        ("H100", "torch==3.1.0", "not in chains-build's table"),
        ("H100", "torch==2.12.0+cu131", "uv --torch-backend accepts"),
    ],
)
def test_a_gpu_and_a_torch_that_cannot_meet_is_a_clear_error(
    gpu: str, requirement: str, expected: str
) -> None:
    with pytest.raises(BuildError) as raised:
        choose(gpu, [requirement])
    message = raised.value.message
    assert expected in message and requirement in message
    assert "\n" not in message


def test_cpu_chainlets_that_install_torch_get_the_cpu_builds() -> None:
    for requirements in (["torch==2.7.0"], ["torch"], ["torch>=2"]):
        base = choose(None, requirements)
        assert base.package_index == "https://download.pytorch.org/whl/cpu"
        assert any("CPU builds" in reason for reason in base.reasons)
    # torchvision requires torch: it gets the CPU builds too.
    assert choose(None, ["torchvision==0.18.0", "numpy"]).package_index == (
        "https://download.pytorch.org/whl/cpu"
    )
    assert choose(None, ["numpy"]).package_index is None
    overridden = choose(None, ["torch==2.7.0"], override="chains-base:bookworm")
    assert overridden.package_index == "https://download.pytorch.org/whl/cpu"


def test_range_requirements_are_not_pins() -> None:
    assert torch_pin(["torch>=2.3"]) is None
    assert torch_pin(["torch~=2.3"]) is None
    assert torch_pin(["torchvision==0.18.0"]) is None
    pin = torch_pin(["torch===2.5.1+cu121"])
    assert pin is not None and (pin.minor, pin.cuda, pin.version) == ("2.5", "12.1", "2.5.1")
    wildcard = torch_pin(["torch==2.5.*"])
    assert wildcard is not None and wildcard.version is None


def test_unknown_gpu_names_the_known_ones() -> None:
    with pytest.raises(BuildError, match=r"unknown GPU 'X100'; use one of T4, L4"):
        choose("X100")


def test_custom_image_wins_over_the_tables() -> None:
    base = choose("H100", ["torch==2.3.0"], configured="my.registry/ml/base:1.2")
    assert base.image == "my.registry/ml/base:1.2"
    assert base.has_python and base.cuda is None and base.package_index is None
    assert "CustomImage(image='my.registry/ml/base:1.2')" in base.reasons[0]


def test_custom_cuda_image_gets_python_installed_unless_it_names_one() -> None:
    assert not choose(configured="nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04").has_python
    named = choose(
        configured="nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04",
        python_executable="/opt/conda/bin/python",
    )
    assert named.has_python
    assert any("/opt/conda/bin/python" in reason for reason in named.reasons)


def test_base_image_option_replaces_every_choice() -> None:
    for gpu in (None, "H100"):
        base = choose(gpu, configured="my/base:1", override="chains-base:bookworm")
        assert base.image == "chains-base:bookworm"
        assert base.reasons[0] == (
            "--base-image chains-base:bookworm replaces every chainlet's base image"
        )


@pytest.mark.parametrize("image", ["bad image", "x\nRUN rm -rf /", "", "-flag"])
def test_image_references_that_would_break_from_are_refused(image: str) -> None:
    with pytest.raises(BuildError, match="not a Docker image reference"):
        choose(override=image)


def test_the_cuda_table_is_sorted_and_one_image_per_version() -> None:
    versions = [parse_version(image.cuda) for image in CUDA_IMAGES]
    assert versions == sorted(set(versions))
    for image in CUDA_IMAGES:
        assert image.image.startswith(f"nvidia/cuda:{image.cuda}.")
        assert image.image.endswith(f"-runtime-ubuntu{image.ubuntu}")
    # NVIDIA marks these end of life; newer CUDA 12 and 13 images exist.
    assert {image.cuda for image in CUDA_IMAGES if not image.supported} == {"11.8", "12.1"}
    assert CUDA_IMAGES[-1].cuda.startswith("13.")


def test_the_pytorch_index_publishes_the_build_pypi_has() -> None:
    # PyPI's wheel is also on the PyTorch index as +cuXYZ: each minor's list includes it, and
    # every CUDA in the tables has an image.
    assert set(TORCH_INDEX_CUDA) == set(TORCH_PYPI_CUDA)
    images = {image.cuda for image in CUDA_IMAGES}
    for minor, pypi in TORCH_PYPI_CUDA.items():
        assert pypi in TORCH_INDEX_CUDA[minor], minor
        builds = TORCH_INDEX_CUDA[minor]
        assert list(builds) == sorted(builds, key=parse_version), minor
        for cuda in builds:
            assert cuda in images or parse_version(cuda)[0] == 11, (minor, cuda)
