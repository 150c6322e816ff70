"""CH723 unpinned-torch-on-gpu: a GPU chainlet whose pip_requirements do not pin torch."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.lint_helpers import lint_text


def _config(requirements: list[str], compute: str) -> str:
    return f"""
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements={requirements!r}),
        compute={compute},
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""


@pytest.mark.parametrize(
    ("requirements", "compute", "reported"),
    [
        (["numpy", "torch"], 'chains.Compute(gpu="L4")', "`torch`"),
        (["torch>=2.4"], 'chains.Compute(instance_type="H100:8x80")', "`torch>=2.4`"),
        (["torch~=2.3"], 'chains.Compute(gpu="B200")', "`torch~=2.3`"),
        (["Torch[opt]"], 'chains.Compute(gpu="A10G")', "`Torch[opt]`"),
        (["torch==2.7.1"], 'chains.Compute(gpu="B200")', None),
        (["torch==2.6.*"], 'chains.Compute(gpu="L4")', None),
        (["torch~=2.8.0"], 'chains.Compute(gpu="L4")', None),
        (["torch==2.4.1+cu124"], 'chains.Compute(gpu="H100")', None),
        (["torch"], "chains.Compute(cpu_count=2)", None),
        (["torch"], 'chains.Compute(instance_type="CPU:4x16")', None),
        (["numpy", "transformers>=4"], 'chains.Compute(gpu="L4")', None),
        (["vllm", "torch==2.8.0"], 'chains.Compute(gpu="H100")', None),
        (["sentence-transformers"], "chains.Compute(cpu_count=2)", None),
    ],
)
def test_unpinned_torch_is_reported_only_on_gpu_chainlets(
    tmp_path: Path, requirements: list[str], compute: str, reported: str | None
) -> None:
    source = _config(requirements, compute)
    diagnostics = lint_text(tmp_path, source, select=("CH723",))
    if reported is None:
        assert diagnostics == []
        return
    assert len(diagnostics) == 1
    diagnostic = diagnostics[0]
    assert diagnostic.severity.value == "warning"
    assert diagnostic.message.startswith(f"{reported} does not pin torch on a chainlet with GPU ")
    line = source.lstrip("\n").splitlines()[diagnostic.span.line - 1]
    assert "pip_requirements=" in line


@pytest.mark.parametrize(
    ("requirements", "shown"),
    [
        (["torchvision", "numpy"], "torchvision"),
        (["transformers[torch]>=4.40"], "transformers[torch]>=4.40"),
        (["numpy", "sentence-transformers==3.0.1"], "sentence-transformers==3.0.1"),
        (["vllm"], "vllm"),
    ],
)
def test_a_package_that_brings_in_unpinned_torch_is_reported(
    tmp_path: Path, requirements: list[str], shown: str
) -> None:
    source = _config(requirements, 'chains.Compute(gpu="L4")')
    diagnostics = lint_text(tmp_path, source, select=("CH723",))
    assert len(diagnostics) == 1
    message = diagnostics[0].message
    assert message.startswith(f"`{shown}` brings in torch, which is not pinned, on a chainlet")
    assert "torch==" in message and "GPU L4" in message
