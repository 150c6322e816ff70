"""GPU images that really use the GPU: each GPU x torch case of issue 10, read from the
Dockerfiles, constraints and chain.json that ``chains-build`` writes.

The image's CUDA must be the CUDA of the torch build installed in it (PyPI's wheel when it has
kernels for the GPU, else the PyTorch index's build that has), every image runs the chain's
Python (installed by uv, not Ubuntu's python3), and a chain that cannot work is refused with a
way out. The ``nvidia/cuda`` images cannot be pulled here, so these are read, and hadolint
checks them.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from chains_build.python_env import UV_WHEELS
from chains_build.torch_builds import NEWEST_TORCH, TORCH_PYPI_CUDA
from tests.build_helpers import build, write
from tests.deploy_helpers import require_tool, run

INDEX = "https://download.pytorch.org/whl"


def _chain(gpu: str | None, requirements: list[str], *, cpu_torch: str | None = None) -> str:
    compute = f'compute=chains.Compute(gpu="{gpu}"),' if gpu else ""
    front_requirements = json.dumps([cpu_torch] if cpu_torch else [])
    return f"""
        import truss_chains as chains


        class Model(chains.ChainletBase):
            remote_config = chains.RemoteConfig(
                docker_image=chains.DockerImage(pip_requirements={json.dumps(requirements)}),
                {compute}
            )

            async def run_remote(self, text: str) -> str:
                return text


        @chains.mark_entrypoint
        class Front(chains.ChainletBase):
            remote_config = chains.RemoteConfig(
                docker_image=chains.DockerImage(pip_requirements={front_requirements}),
            )

            def __init__(self, model: Model = chains.depends(Model)) -> None:
                self._model = model

            async def run_remote(self, text: str) -> str:
                return await self._model.run_remote(text)
        """


def _build(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gpu: str | None,
    requirements: list[str],
    *args: str,
    cpu_torch: str | None = None,
) -> tuple[int, str, Path]:
    chain = write(tmp_path, "chain.py", _chain(gpu, requirements, cpu_torch=cpu_torch))
    out = tmp_path / "out"
    status, _, stderr = build(capsys, chain, "-o", out, "--python", "3.12", *args)
    return status, stderr, out


def _install_step(dockerfile: str) -> str:
    """The RUN instruction that makes the venv and installs the packages."""
    start = dockerfile.index("RUN ", dockerfile.index("ENV PATH="))
    return dockerfile[start : dockerfile.index("\n\n", start)]


@pytest.mark.parametrize(
    ("gpu", "requirement", "image", "index", "constraint"),
    [
        # Issue 10: an L4 with torch==2.4.1 got an 11.8 image and 12.1 wheels. PyPI's 12.1
        # wheel has Ada kernels: a 12.x image NVIDIA supports, at or above 12.1.
        ("L4", "torch==2.4.1", "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", None, None),
        # A B200 with torch==2.7.0 got a 12.8 image and PyPI's 12.6 wheel, which has no
        # Blackwell kernels: the cu128 build from the PyTorch index.
        (
            "B200",
            "torch==2.7.0",
            "nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04",
            "cu128",
            "torch==2.7.0+cu128",
        ),
        # A +cu124 pin could not be installed from PyPI: its index now serves it.
        (
            "H100",
            "torch==2.4.1+cu124",
            "nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04",
            "cu124",
            None,
        ),
        # PyPI's newest torch brings CUDA 13: a CUDA 13 image.
        (
            "H100",
            f"torch=={NEWEST_TORCH}.0",
            f"nvidia/cuda:{TORCH_PYPI_CUDA[NEWEST_TORCH]}",
            None,
            None,
        ),
        # torch 2.8's CUDA 12.8 wheel has V100 (sm_70) kernels (pytorch/pytorch#160269).
        ("V100", "torch==2.8.0", "nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04", None, None),
        # torch 2.11's has not (pytorch/pytorch#172352): its CUDA 12.6 build from its index.
        (
            "V100",
            "torch==2.11.0",
            "nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04",
            "cu126",
            "torch==2.11.0+cu126",
        ),
    ],
)
def test_the_image_cuda_is_the_cuda_of_the_installed_torch(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gpu: str,
    requirement: str,
    image: str,
    index: str | None,
    constraint: str | None,
) -> None:
    status, stderr, out = _build(tmp_path, capsys, gpu, [requirement, "numpy>=1.26"])
    assert status == 0, stderr
    dockerfile = (out / "Model" / "Dockerfile").read_text()
    assert re.search(rf"^FROM {re.escape(image)}", dockerfile, re.MULTILINE), dockerfile
    install = _install_step(dockerfile)
    assert "--extra-index-url" not in install and "unsafe-best-match" not in install
    if index is None:
        assert "--torch-backend" not in install
    else:
        assert f"--torch-backend {index} " in install
    constraints = (out / "Model" / "constraints.txt").read_text().splitlines()
    torch_lines = [line for line in constraints if line.startswith("torch")]
    assert torch_lines == ([constraint] if constraint else [])
    assert (out / "Model" / "requirements.txt").read_text() == f"{requirement}\nnumpy>=1.26\n"
    document = json.loads((out / "chain.json").read_text())
    model = next(c for c in document["chainlets"] if c["class_name"] == "Model")
    cuda = model["base_image"]["cuda"]
    assert image.startswith(f"nvidia/cuda:{cuda}")
    assert model["base_image"]["package_index"] == (f"{INDEX}/{index}" if index else None)


def test_unpinned_torch_on_a_gpu_warns_and_is_held_to_one_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path, "chain.py", _chain("H100", ["torch"]))
    out = tmp_path / "out"
    status, stdout, stderr = build(capsys, chain, "-o", out)
    assert status == 0, stderr
    assert "CH723 [warning] `torch` does not pin torch on a chainlet with GPU H100" in stdout
    # The lowest CUDA serving an H100 on a supported image: 12.4, whose newest torch is 2.6.
    dockerfile = (out / "Model" / "Dockerfile").read_text()
    assert "FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04\n" in dockerfile
    assert "--torch-backend cu124 " in dockerfile
    constraints = (out / "Model" / "constraints.txt").read_text().splitlines()
    assert constraints[-1] == "torch==2.6.*"
    # The same input gives the same choice: the context (and so the tag) does not change.
    again = tmp_path / "again"
    assert build(capsys, chain, "-o", again)[0] == 0
    assert (again / "Model" / "Dockerfile").read_bytes() == dockerfile.encode()
    assert (again / "Model" / "constraints.txt").read_text().splitlines() == constraints


def test_cpu_chainlets_get_torch_from_the_cpu_index(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stderr, out = _build(tmp_path, capsys, "L4", [], cpu_torch="torch==2.7.0")
    assert status == 0, stderr
    front = (out / "Front" / "Dockerfile").read_text()
    assert "FROM python:3.12-slim\n" in front
    assert "--torch-backend cpu " in front and "--extra-index-url" not in front
    assert "torch from the CPU builds" in front
    # The GPU chainlet without torch: no index, the lowest supported CUDA image for an L4.
    model = (out / "Model" / "Dockerfile").read_text()
    assert "FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04\n" in model
    assert "--torch-backend" not in model


@pytest.mark.parametrize(
    ("gpu", "requirement", "way_out"),
    [
        ("B200", "torch==2.3.0", "pin torch 2.7 or newer, or set DockerImage.base_image"),
        ("V100", "torch==2.12.0", "pin torch 2.11 or older (e.g. torch==2.11.0+cu126)"),
        ("B200", "torch==2.7.0+cu126", "(e.g. torch==2.7.0+cu128)"),
    ],
)
def test_a_torch_that_cannot_serve_the_gpu_is_a_build_error_with_a_way_out(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    gpu: str,
    requirement: str,
    way_out: str,
) -> None:
    status, stderr, out = _build(tmp_path, capsys, gpu, [requirement])
    assert status == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chains-build: error: chainlet `Model`: ")
    assert requirement in lines[0] and way_out in lines[0]
    assert "Traceback" not in stderr and not out.exists()


def test_every_image_runs_the_chains_python_and_chain_json_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stderr, out = _build(tmp_path, capsys, "B200", ["torch==2.7.0"], cpu_torch="numpy")
    assert status == 0, stderr
    gpu = (out / "Model" / "Dockerfile").read_text()
    cpu = (out / "Front" / "Dockerfile").read_text()
    for dockerfile in (gpu, cpu):
        assert "&& uv venv --seed --python 3.12 /opt/venv \\\n" in dockerfile
        assert "python3-venv" not in dockerfile and "python3 -m venv /opt/venv" not in dockerfile
        assert "ENV UV_PYTHON_INSTALL_DIR=/opt/python" in dockerfile
        assert dockerfile.index("rm /usr/local/bin/uv") < dockerfile.index("USER 10001:10001")
    # uv comes from its PyPI wheel, checked by SHA-256: with curl where the base has no
    # Python, with the generated install-uv.py where it has.
    assert 'curl -fsSL "$url" -o /tmp/uv.whl' in gpu and "sha256sum -c /tmp/uv.sha256" in gpu
    assert "RUN python3 /opt/chains/install-uv.py \\\n" in cpu
    assert not (out / "Model" / "install-uv.py").exists()
    script = ast.parse((out / "Front" / "install-uv.py").read_text())
    wheels = next(
        node.value
        for node in script.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "WHEELS"
    )
    assert ast.literal_eval(wheels) == UV_WHEELS
    document = json.loads((out / "chain.json").read_text())
    assert document["python_version"] == "3.12"
    pythons = {c["class_name"]: c["python"] for c in document["chainlets"]}
    assert {p["version"] for p in pythons.values()} == {"3.12"}
    assert pythons["Model"]["source"] == "python-build-standalone installed by uv"
    assert pythons["Model"]["executable"] == "/opt/venv/bin/python"
    assert pythons["Front"]["source"].startswith("the base image's python3 when it is this version")


def test_gpu_dockerfiles_pass_hadolint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, stderr, out = _build(tmp_path, capsys, "B200", ["torch==2.7.0"], cpu_torch="torch")
    assert status == 0, stderr
    hadolint = require_tool("hadolint")
    dockerfiles = [str(out / name / "Dockerfile") for name in ("Model", "Front")]
    done = run([hadolint, "--no-color", "--failure-threshold", "error", *dockerfiles], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_explain_shows_the_torch_build_the_python_and_the_pins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path, "chain.py", _chain("B200", ["torch==2.7.0"]))
    status, stdout, stderr = build(capsys, "--explain", chain, "--python", "3.12")
    assert status == 0, stderr
    model = stdout.split("\n\n")[2].splitlines()
    assert model[:7] == [
        "Model",
        "  base image: nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04",
        "    - GPU B200 (Blackwell, compute capability 10.0) needs CUDA >= 12.8",
        "    - torch==2.7.0: PyPI's torch 2.7 wheel is built for CUDA 12.6, but B200 needs a "
        "build for CUDA >= 12.8",
        f"    - so torch comes from the PyTorch index's CUDA 12.8 build ({INDEX}/cu128)",
        "    - nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 (CUDA 12.8, Ubuntu 24.04) with "
        "Python 3.12 installed by uv, not Ubuntu's python3",
        "  python:     3.12 (python-build-standalone installed by uv), packages pinned by the "
        "runtime's constraints (no lock file)",
    ]


def test_the_generated_uv_installer_passes_ruff_and_mypy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stderr, out = _build(tmp_path, capsys, None, [])
    assert status == 0, stderr
    script = out / "Front" / "install-uv.py"
    repo = Path(__file__).resolve().parent.parent
    for command in (
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--config",
            str(repo / "pyproject.toml"),
            "--no-cache",
            script.name,
        ],
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--no-incremental",
            "--cache-dir",
            os.devnull,
            script.name,
        ],
    ):
        done = subprocess.run(
            command, cwd=script.parent, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_a_torch_another_package_brings_in_gets_the_images_cuda_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path, "chain.py", _chain("H100", ["transformers[torch]>=4.40"]))
    out = tmp_path / "out"
    status, stdout, stderr = build(capsys, chain, "-o", out, "--python", "3.12")
    assert status == 0, stderr
    assert "CH723 [warning] `transformers[torch]>=4.40` brings in torch" in stdout
    dockerfile = (out / "Model" / "Dockerfile").read_text()
    assert "FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04\n" in dockerfile
    assert "--torch-backend cu124 " in _install_step(dockerfile)
    # The package chooses the torch release; the backend holds it to CUDA 12.4 builds.
    constraints = (out / "Model" / "constraints.txt").read_text().splitlines()
    assert not [line for line in constraints if line.startswith("torch")]
    status, explained, stderr = build(capsys, chain, "--python", "3.12", "--explain")
    assert status == 0, stderr
    assert "transformers[torch]>=4.40 brings it in" in explained
    assert "lowest CUDA that serves H100" in explained
    # Without the torch extra transformers does not install torch: nothing chosen for it.
    plain = tmp_path / "plain"
    plain.mkdir()
    status, stderr, out = _build(plain, capsys, "H100", ["transformers>=4.40"])
    assert status == 0, stderr
    assert "--torch-backend" not in (out / "Model" / "Dockerfile").read_text()


@pytest.mark.parametrize("compute", ['gpu="GB300"', 'instance_type="GB300:4x288"'])
def test_grace_gpus_are_refused_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], compute: str
) -> None:
    source = _chain("L4", ["torch==2.9.1"]).replace('gpu="L4"', compute)
    chain = write(tmp_path, "chain.py", source)
    status, _, stderr = build(capsys, chain, "-o", tmp_path / "out")
    assert status != 0
    lines = [line for line in stderr.splitlines() if "GB300" in line]
    assert len(lines) == 1, stderr
    assert "arm64" in lines[0] and "x86_64" in lines[0] and "not supported yet" in lines[0]
    assert "Traceback" not in stderr
    assert not (tmp_path / "out").exists()
