"""What one replica of a chainlet needs: ``Compute(...)`` turned into ``Resources``.

Two ways to say it, as in ``truss_chains``:

- ``Compute(cpu_count=4, memory="16Gi", gpu="L4", gpu_count=1)``: taken as written;
- ``Compute(instance_type="L4:4x16")``: a machine named by its shape, which overrides the
  other fields. The forms are the ones the linter accepts (rule CH712)::

      "<vCPUs>x<GiB>"  or  "CPU:<vCPUs>x<GiB>"      no GPU         "4x16", "CPU:4x16"
      "<GPU>:<vCPUs>x<GiB>"                          one GPU        "L4:4x16", "H100:8x80"
      "<GPU>:<count>x<vCPUs>x<GiB>"                  count GPUs     "H100:8x104x1000"

Either way the GPU must be a row of ``GPU_MODELS``: the table also says which Kubernetes nodes
carry that GPU (the ``nvidia.com/gpu.product`` label that NVIDIA's GPU feature discovery
sets). docs/deploy.md shows the table; a test keeps the two equal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from chains_build.errors import BuildError
from chains_build.plan import Resources
from chains_lint.model.accelerators import ACCELERATORS, accelerator_ignoring_case
from chains_lint.model.memory_quantity import parse_memory
from chains_lint.model.remote_config.quantities import parse_instance_type
from chains_lint.model.types import ComputeConfig

GPU_RESOURCE = "nvidia.com/gpu"
"""The extended resource the NVIDIA device plugin advertises; requested under ``limits``."""

GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
"""The node label naming the GPU model, set by NVIDIA GPU feature discovery (part of the GPU
operator): the NVML device name with spaces replaced by ``-``."""

CPU_PREFIX = "CPU"
"""``"CPU:4x16"``: an instance type that says outright it has no GPU."""


@dataclass(frozen=True)
class GpuModel:
    """A GPU a chainlet can ask for, and how Kubernetes nodes that have it are labelled."""

    name: str
    """As written in ``Compute(gpu=...)`` and before the ``:`` of an instance type."""
    memory_gb: int
    """Memory of one GPU."""
    node_products: tuple[str, ...]
    """Values of ``nvidia.com/gpu.product`` on nodes with this GPU (its variants: SXM, PCIe,
    NVL); a pod may run on any of them."""


GPU_NODE_PRODUCTS: dict[str, tuple[str, ...]] = {
    "T4": ("Tesla-T4",),
    "L4": ("NVIDIA-L4",),
    "A10G": ("NVIDIA-A10G",),
    "V100": ("Tesla-V100-SXM2-16GB", "Tesla-V100-PCIE-16GB"),
    "A100": ("NVIDIA-A100-SXM4-80GB", "NVIDIA-A100-80GB-PCIe"),
    "A100_40GB": ("NVIDIA-A100-SXM4-40GB", "NVIDIA-A100-PCIE-40GB"),
    "H100": ("NVIDIA-H100-80GB-HBM3", "NVIDIA-H100-PCIe", "NVIDIA-H100-NVL"),
    # Baseten's 40 GB H100 is a MIG slice; GPU feature discovery labels it so with the
    # "single" MIG strategy, where each slice is advertised as one nvidia.com/gpu.
    "H100_40GB": ("NVIDIA-H100-80GB-HBM3-MIG-3g.40gb",),
    "H200": ("NVIDIA-H200", "NVIDIA-H200-NVL"),
    "B200": ("NVIDIA-B200",),
    "L40S": ("NVIDIA-L40S",),
    "RTX_PRO_6000": ("NVIDIA-RTX-PRO-6000-Blackwell-Server-Edition",),
    "B300": ("NVIDIA-B300-SXM6-AC",),
    "GB300": ("NVIDIA-GB300",),
}
"""The ``nvidia.com/gpu.product`` values of each documented GPU of the linter's table
(``chains_lint.model.accelerators``); a test checks every one has them."""

GPU_MODELS: tuple[GpuModel, ...] = tuple(
    GpuModel(a.name, a.memory_gb, GPU_NODE_PRODUCTS[a.name])
    for a in ACCELERATORS
    if a.name in GPU_NODE_PRODUCTS and a.memory_gb is not None
)
"""The GPUs a build can place: the accelerator table's, in its order."""

_GPU_MODELS_BY_NAME = {model.name: model for model in GPU_MODELS}

_INSTANCE_TYPE_FORMS = (
    '"<vCPUs>x<GiB>" or "CPU:<vCPUs>x<GiB>" (no GPU), "<GPU>:<vCPUs>x<GiB>" (one GPU) or '
    '"<GPU>:<count>x<vCPUs>x<GiB>", e.g. "CPU:4x16", "L4:4x16", "H100:8x80"'
)
_MEMORY_UNITS = "Ki, Mi, Gi, Ti (binary) or k, M, G, T (decimal)"


def known_gpus() -> str:
    """The GPU names, comma separated, for messages."""
    return ", ".join(model.name for model in GPU_MODELS)


def gpu_model(name: str, *, written: str = "") -> GpuModel:
    """The row of ``GPU_MODELS`` called exactly ``name``, or a BuildError saying what is known.

    ``written`` (e.g. ``Compute(gpu="h100")``) starts the message when given.
    """
    model = _GPU_MODELS_BY_NAME.get(name)
    if model is not None:
        return model
    where = f"{written}: " if written else ""
    found = accelerator_ignoring_case(name)
    if found is not None and found.name in _GPU_MODELS_BY_NAME:
        raise BuildError(
            f'{where}unknown GPU "{name}"; names are case-sensitive: write "{found.name}"'
        )
    raise BuildError(f'{where}unknown GPU "{name}"; known GPUs: {known_gpus()}')


def resources_for(compute: ComputeConfig) -> Resources:
    """The resources ``compute`` asks for; a BuildError when they cannot be mapped."""
    if compute.instance_type is not None:
        return _from_instance_type(compute.instance_type)
    return _from_fields(compute)


def _from_fields(compute: ComputeConfig) -> Resources:
    cpu_count = compute.cpu_count
    if isinstance(cpu_count, bool) or not isinstance(cpu_count, int) or cpu_count < 1:
        raise BuildError(f"`Compute(cpu_count={_shown(cpu_count)})` must be a whole number >= 1")
    memory = compute.memory
    size = parse_memory(memory) if isinstance(memory, str) else None
    if size is None:
        raise BuildError(
            f'`Compute(memory={_shown(memory)})` is not a memory quantity such as "2Gi"; '
            f"units: {_MEMORY_UNITS}"
        )
    if size <= 0:
        raise BuildError(f"`Compute(memory={_shown(memory)})` must be more than 0")
    if not compute.gpu:
        return Resources(str(cpu_count), memory, None, 0, "compute")
    model = gpu_model(compute.gpu, written=f"`Compute(gpu={_shown(compute.gpu)})`")
    count = compute.gpu_count
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise BuildError(f"`Compute(gpu_count={_shown(count)})` must be a whole number >= 1")
    return Resources(str(cpu_count), memory, model.name, count, "compute")


def _from_instance_type(text: str) -> Resources:
    source = f"instance_type {text}"
    written = f'`Compute(instance_type="{text}")`'
    head, sep, rest = text.partition(":")
    cpu_only = bool(sep) and head == CPU_PREFIX
    parsed = parse_instance_type(rest if cpu_only else text)
    if parsed is None or (cpu_only and parsed.gpu is not None):
        if sep and not cpu_only and _looks_like_shape(rest):
            if head.strip().upper() == CPU_PREFIX:
                hint = f'write "{CPU_PREFIX}:{rest}" for a machine without a GPU'
                raise BuildError(f"{written}: {hint}")
            gpu_model(head, written=written)  # raises: an unknown GPU, with the known ones
        raise BuildError(f"{written} cannot be mapped to resources; write {_INSTANCE_TYPE_FORMS}")
    memory = f"{parsed.memory_gib}Gi"
    if parsed.gpu is None:
        return Resources(str(parsed.cpu_count), memory, None, 0, source)
    model = gpu_model(parsed.gpu, written=written)
    return Resources(str(parsed.cpu_count), memory, model.name, parsed.gpu_count, source)


def _shown(value: object) -> str:
    """``value`` as the user wrote it in Python: strings in double quotes."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _looks_like_shape(text: str) -> bool:
    parts = text.split("x")
    return 2 <= len(parts) <= 3 and all(part.isdigit() for part in parts)
