"""Sizes the Kubernetes objects share: ``/dev/shm``, ephemeral storage, the weights claim."""

from __future__ import annotations

from chains_build.deploy_options import DeployOptions
from chains_build.plan import ChainletPlan
from chains_lint.model.memory_quantity import parse_memory

GIB = 2**30
SHM_MIN_GIB = 1
SHM_MAX_GIB = 16
"""Without ``--shm-size``: a quarter of the memory request, between these. NCCL and vLLM's
tensor parallelism need far more than Docker's and Kubernetes' 64 MiB default; a memory-backed
emptyDir counts against the container's memory limit, hence the cap."""


def shm_size(deploy: DeployOptions, chainlet: ChainletPlan) -> str:
    if deploy.shm_size is not None:
        return deploy.shm_size
    memory = parse_memory(chainlet.resources.memory) or 0
    gib = min(SHM_MAX_GIB, max(SHM_MIN_GIB, memory // 4 // GIB))
    return f"{gib}Gi"


def ephemeral_request(deploy: DeployOptions, chainlet: ChainletPlan) -> str:
    """The writable layer, logs and /tmp; plus the weights when they live in an emptyDir."""
    base = parse_memory(deploy.ephemeral_storage) or 0
    if chainlet.weights.items and deploy.weights_volume == "emptydir":
        base += parse_memory(deploy.weights_size) or 0
    return quantity(base)


def quantity(size: int) -> str:
    """Bytes as the largest binary unit that divides them (``"102Gi"``, ``"1536Mi"``)."""
    for unit, factor in (("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if size and size % factor == 0:
            return f"{size // factor}{unit}"
    return str(size)


def weights_claim_name(chainlet: ChainletPlan) -> str:
    return f"{chainlet.slug}-weights"
