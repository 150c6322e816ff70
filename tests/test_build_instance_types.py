"""``Compute(...)`` -> ``Resources``: the fields, the instance-type table, and its errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from chains_build.errors import BuildError
from chains_build.instance_types import GPU_MODELS, resources_for
from chains_build.plan import Resources
from chains_lint import analyse
from chains_lint.model.accelerators import ACCELERATORS
from chains_lint.model.types import ComputeConfig

ROOT = Path(__file__).resolve().parent.parent
DEPLOY_DOC = ROOT / "docs" / "deploy.md"

# A label value: at most 63 characters, alphanumerics at both ends, "-", "_" and "." inside.
LABEL_VALUE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?")


@pytest.mark.parametrize(
    ("compute", "expected"),
    [
        (ComputeConfig(), Resources("1", "2Gi", None, 0, "compute")),
        (
            ComputeConfig(cpu_count=4, memory="512Mi", gpu="A10G", gpu_count=2),
            Resources("4", "512Mi", "A10G", 2, "compute"),
        ),
        (ComputeConfig(memory="1G"), Resources("1", "1G", None, 0, "compute")),
        (ComputeConfig(gpu=""), Resources("1", "2Gi", None, 0, "compute")),
        (ComputeConfig(gpu_count=4), Resources("1", "2Gi", None, 0, "compute")),
    ],
)
def test_fields_are_taken_as_written(compute: ComputeConfig, expected: Resources) -> None:
    assert resources_for(compute) == expected


@pytest.mark.parametrize(
    ("instance_type", "cpu", "memory", "gpu", "count"),
    [
        ("H100:8x80", "8", "80Gi", "H100", 1),
        ("A10G:4x16", "4", "16Gi", "A10G", 1),
        ("L4:4x16", "4", "16Gi", "L4", 1),
        ("CPU:4x16", "4", "16Gi", None, 0),
        ("1x4", "1", "4Gi", None, 0),
        ("H100:8x104x1000", "104", "1000Gi", "H100", 8),
        ("A100_40GB:2x24x200", "24", "200Gi", "A100_40GB", 2),
    ],
)
def test_instance_type_overrides_the_fields(
    instance_type: str, cpu: str, memory: str, gpu: str | None, count: int
) -> None:
    compute = ComputeConfig(cpu_count=64, memory="1Ti", gpu="T4", instance_type=instance_type)
    expected = Resources(cpu, memory, gpu, count, f"instance_type {instance_type}")
    assert resources_for(compute) == expected


@pytest.mark.parametrize(
    ("compute", "message"),
    [
        (
            ComputeConfig(instance_type="FOO:4x16"),
            '`Compute(instance_type="FOO:4x16")`: unknown GPU "FOO"; known GPUs: T4, L4, A10G,',
        ),
        (
            ComputeConfig(instance_type="h100:8x80"),
            'unknown GPU "h100"; names are case-sensitive: write "H100"',
        ),
        (
            ComputeConfig(instance_type="cpu:4x16"),
            'write "CPU:4x16" for a machine without a GPU',
        ),
        (
            ComputeConfig(instance_type="H100:8"),
            '`Compute(instance_type="H100:8")` cannot be mapped to resources; write "<vCPUs>',
        ),
        (ComputeConfig(instance_type="CPU:2x4x16"), "cannot be mapped to resources"),
        (ComputeConfig(instance_type="L4:0x16"), "cannot be mapped to resources"),
        (ComputeConfig(instance_type="large"), "cannot be mapped to resources"),
        # Known to the linter (truss accepts it) but no hardware facts: not deployable here.
        (ComputeConfig(instance_type="B10:4x16"), 'unknown GPU "B10"; known GPUs:'),
        (ComputeConfig(gpu="B10"), '`Compute(gpu="B10")`: unknown GPU "B10"; known GPUs:'),
        (ComputeConfig(gpu="a10g"), 'names are case-sensitive: write "A10G"'),
        (ComputeConfig(gpu="RTX4090"), "known GPUs: T4, L4, A10G, V100, A100, A100_40GB, H100"),
        (ComputeConfig(memory="16GB"), '`Compute(memory="16GB")` is not a memory quantity'),
        (ComputeConfig(memory="0Gi"), '`Compute(memory="0Gi")` must be more than 0'),
        (ComputeConfig(cpu_count=0), "`Compute(cpu_count=0)` must be a whole number >= 1"),
        (ComputeConfig(gpu="L4", gpu_count=0), "`Compute(gpu_count=0)` must be a whole number"),
    ],
)
def test_unmappable_compute_is_a_build_error(compute: ComputeConfig, message: str) -> None:
    with pytest.raises(BuildError) as caught:
        resources_for(compute)
    assert message in caught.value.message
    assert "\n" not in caught.value.message


def test_the_table_covers_every_documented_gpu_of_the_linter() -> None:
    public = {a.name for a in ACCELERATORS if not a.internal}
    assert {model.name for model in GPU_MODELS} == public
    by_name = {a.name: a for a in ACCELERATORS}
    for model in GPU_MODELS:
        assert model.memory_gb == by_name[model.name].memory_gb, model.name


def test_node_products_are_valid_label_values() -> None:
    for model in GPU_MODELS:
        assert model.node_products, model.name
        for product in model.node_products:
            assert LABEL_VALUE.fullmatch(product), product
    every = [product for model in GPU_MODELS for product in model.node_products]
    assert len(every) == len(set(every)), "a node product must name one GPU"


def gpu_table_markdown() -> str:
    """The GPU table of docs/deploy.md, as the data says it must be."""
    rows = ["| GPU | Memory | `nvidia.com/gpu.product` values |", "| --- | --- | --- |"]
    for model in GPU_MODELS:
        products = ", ".join(f"`{product}`" for product in model.node_products)
        rows.append(f"| `{model.name}` | {model.memory_gb} GB | {products} |")
    return "\n".join(rows)


def test_the_deploy_doc_shows_the_table_as_it_is() -> None:
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- gpu-table -->\n(.*?)\n<!-- /gpu-table -->", text, re.DOTALL)
    assert match, "docs/deploy.md lost its <!-- gpu-table --> markers"
    assert match.group(1) == gpu_table_markdown()


def test_resources_of_real_chain_files(tmp_path: Path) -> None:
    chain = tmp_path / "chain.py"
    chain.write_text(
        "import truss_chains as chains\n\n\n"
        "class Embed(chains.ChainletBase):\n"
        "    remote_config = chains.RemoteConfig(\n"
        '        compute=chains.Compute(instance_type="H100:2x26x234")\n'
        "    )\n\n"
        "    def run_remote(self, text: str) -> str:\n"
        "        return text\n\n\n"
        "@chains.mark_entrypoint\n"
        "class Pipeline(chains.ChainletBase):\n"
        "    remote_config = chains.RemoteConfig(\n"
        '        compute=chains.Compute(cpu_count=2, memory="3Gi")\n'
        "    )\n\n"
        "    def __init__(self, embed: Embed = chains.depends(Embed)) -> None:\n"
        "        self._embed = embed\n\n"
        "    def run_remote(self, text: str) -> str:\n"
        "        return self._embed.run_remote(text)\n",
        encoding="utf-8",
    )
    (target,) = analyse([chain]).targets
    (found,) = target.model.chains
    resources = {c.cls.name: resources_for(c.remote_config.compute) for c in found.chainlets}
    assert resources == {
        "Pipeline": Resources("2", "3Gi", None, 0, "compute"),
        "Embed": Resources("26", "234Gi", "H100", 2, "instance_type H100:2x26x234"),
    }


@pytest.mark.parametrize(
    ("instance_type", "message"),
    [
        ("H100:8", '`Compute(instance_type="H100:8")` cannot be mapped to resources'),
        (
            "h100:8x80",
            '`Compute(instance_type="h100:8x80")`: unknown GPU "h100"; names are case-sensitive',
        ),
    ],
)
def test_the_build_stops_on_an_unmappable_instance_type(
    instance_type: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from chains_build.cli import main

    chain = tmp_path / "chain.py"
    chain.write_text(
        "import truss_chains as chains\n\n\n"
        "@chains.mark_entrypoint\n"
        "class Big(chains.ChainletBase):\n"
        "    remote_config = chains.RemoteConfig(\n"
        f'        compute=chains.Compute(instance_type="{instance_type}")\n'
        "    )\n\n"
        "    async def run_remote(self, text: str) -> str:\n"
        "        return text\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main([str(chain), "-o", str(out)]) == 1
    error = capsys.readouterr().err
    assert f"chainlet `Big`: {message}" in error
    assert not out.exists()
