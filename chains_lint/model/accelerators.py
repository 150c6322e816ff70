"""GPUs a chainlet can ask for with ``Compute(gpu=...)``, and the facts a build needs about them.

The names are the values of ``truss.base.truss_config.Accelerator`` (truss 0.18.36); truss
matches them exactly (``"a10g"`` is rejected). Memory is the memory of one GPU in GB as
Baseten provisions it (``H100_40GB`` and ``A100_40GB`` are the 40 GB variants). The minimum
CUDA version is the first CUDA toolkit that can build code for the GPU's compute capability.

This is the one GPU table: ``chains_build`` adds only what a deployment needs besides
(``chains_build.instance_types.GPU_NODE_PRODUCTS``, the Kubernetes node labels). Standard
library only, so the build and the linter import it cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Accelerator:
    name: str  # as written in Compute(gpu=...)
    architecture: str | None
    memory_gb: int | None
    compute_capability: str | None  # e.g. "8.6"
    min_cuda: str | None  # e.g. "11.1"
    # Accepted by truss but hidden from its documentation (an underscore enum member).
    internal: bool = False


ACCELERATORS: tuple[Accelerator, ...] = (
    Accelerator("T4", "Turing", 16, "7.5", "10.0"),
    Accelerator("L4", "Ada Lovelace", 24, "8.9", "11.8"),
    Accelerator("A10G", "Ampere", 24, "8.6", "11.1"),
    Accelerator("V100", "Volta", 16, "7.0", "9.0"),
    Accelerator("A100", "Ampere", 80, "8.0", "11.0"),
    Accelerator("A100_40GB", "Ampere", 40, "8.0", "11.0"),
    Accelerator("H100", "Hopper", 80, "9.0", "11.8"),
    Accelerator("H100_40GB", "Hopper", 40, "9.0", "11.8"),
    Accelerator("H200", "Hopper", 141, "9.0", "11.8"),
    Accelerator("B200", "Blackwell", 180, "10.0", "12.8"),
    Accelerator("L40S", "Ada Lovelace", 48, "8.9", "11.8"),
    Accelerator("RTX_PRO_6000", "Blackwell", 96, "12.0", "12.8"),
    Accelerator("B300", "Blackwell Ultra", 288, "10.3", "12.9"),
    Accelerator("GB300", "Blackwell Ultra", 288, "10.3", "12.9"),
    Accelerator("B10", None, None, None, None, internal=True),
)

ACCELERATORS_BY_NAME: dict[str, Accelerator] = {a.name: a for a in ACCELERATORS}

# The names to suggest in messages (the documented ones).
PUBLIC_ACCELERATOR_NAMES: tuple[str, ...] = tuple(a.name for a in ACCELERATORS if not a.internal)


def accelerator(name: str | None) -> Accelerator | None:
    """The accelerator called exactly ``name``, or None."""
    if name is None:
        return None
    return ACCELERATORS_BY_NAME.get(name)


def accelerator_ignoring_case(name: str) -> Accelerator | None:
    """The accelerator whose name matches ``name`` up to case, ``-`` for ``_`` and spaces."""
    wanted = _normalized(name)
    for candidate in ACCELERATORS:
        if _normalized(candidate.name) == wanted:
            return candidate
    return None


def _normalized(name: str) -> str:
    return name.strip().upper().replace("-", "_").replace(" ", "_")
