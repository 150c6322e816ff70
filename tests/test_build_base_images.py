"""Base image choice: CPU and GPU tables, torch pins, overrides, and the reasons given."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from chains_build.base_images import (
    CUDA_IMAGES,
    TORCH_CUDA,
    choose_base_image,
    parse_version,
    torch_pin,
)
from chains_build.errors import BuildError
from chains_build.plan import BaseImage
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
        ("T4", "11.7", "nvidia/cuda:11.7.1-cudnn8-runtime-ubuntu22.04"),
        ("A10G", "11.7", "nvidia/cuda:11.7.1-cudnn8-runtime-ubuntu22.04"),
        ("H100", "11.8", "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04"),
        ("H200", "11.8", "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04"),
        ("L4", "11.8", "nvidia/cuda:11.8.0-cudnn8-runtime-ubuntu22.04"),
        ("B200", "12.8", "nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04"),
        ("B300", "12.9", "nvidia/cuda:12.9.1-cudnn-runtime-ubuntu24.04"),
    ],
)
def test_gpu_chainlets_get_the_lowest_cuda_the_gpu_allows(gpu: str, cuda: str, image: str) -> None:
    base = choose(gpu)
    assert (base.image, base.cuda, base.has_python) == (image, cuda, False)
    assert "needs CUDA >=" in base.reasons[0] and gpu in base.reasons[0]


def test_every_public_gpu_has_an_image() -> None:
    for accelerator in ACCELERATORS:
        if accelerator.internal:
            continue
        base = choose(accelerator.name)
        assert base.cuda is not None and accelerator.min_cuda is not None
        assert parse_version(base.cuda) >= parse_version(accelerator.min_cuda)


@pytest.mark.parametrize(
    ("gpu", "requirement", "cuda"),
    [
        ("H100", "torch==2.3.0", "11.8"),
        ("A10G", "torch==2.1.2", "11.8"),
        ("A10G", "torch==2.0.1", "11.7"),
        ("H100", "torch==2.8.0", "12.6"),
        ("B200", "torch==2.7.1", "12.8"),
        ("B200", "torch~=2.8.0", "12.8"),
        ("L4", "torch==2.6.*", "11.8"),
        ("L4", "torch[opt] == 2.4.1 ; sys_platform == 'linux'", "11.8"),
        ("H100", "torch==2.4.1+cu124", "12.4"),
    ],
)
def test_a_torch_pin_narrows_the_cuda_to_its_wheels(gpu: str, requirement: str, cuda: str) -> None:
    base = choose(gpu, ["numpy", requirement])
    assert base.cuda == cuda
    assert any(requirement.split(";")[0].strip() in reason for reason in base.reasons)


def test_the_chosen_cuda_is_one_the_torch_pin_has_wheels_for() -> None:
    for minor, cudas in TORCH_CUDA.items():
        base = choose("T4", [f"torch=={minor}.0"])
        assert base.cuda in cudas, minor
        assert base.cuda == min(cudas, key=parse_version)


def test_a_gpu_and_a_torch_pin_that_cannot_meet_is_a_clear_error() -> None:
    with pytest.raises(BuildError) as raised:
        choose("B200", ["torch==2.3.0"])
    message = str(raised.value)
    assert "B200 needs CUDA >= 12.8" in message
    assert "torch==2.3.0 is built only for CUDA 11.8, 12.1" in message
    assert "pin torch 2.7 or newer" in message


def test_range_requirements_are_not_pins() -> None:
    assert torch_pin(["torch>=2.3"]) is None
    assert torch_pin(["torch~=2.3"]) is None
    assert torch_pin(["torchvision==0.18.0"]) is None
    pin = torch_pin(["torch===2.5.1+cu121"])
    assert pin is not None and (pin.minor, pin.cuda) == ("2.5", "12.1")


def test_an_unknown_torch_version_lets_the_gpu_decide_and_says_so() -> None:
    base = choose("H100", ["torch==3.1.0"])
    assert base.cuda == "11.8"
    assert any("not in the table" in reason for reason in base.reasons)


def test_unknown_gpu_names_the_known_ones() -> None:
    with pytest.raises(BuildError, match=r"unknown GPU 'X100'; use one of T4, L4"):
        choose("X100")


def test_custom_image_wins_over_the_tables() -> None:
    base = choose("H100", ["torch==2.3.0"], configured="my.registry/ml/base:1.2")
    assert base.image == "my.registry/ml/base:1.2"
    assert base.has_python and base.cuda is None
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
