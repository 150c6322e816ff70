"""What a GPU chainlet gets when it names a GPU but no ``cpu_count`` or ``memory``.

``Compute(gpu="H100")`` alone used to mean truss's defaults, 1 CPU and 2Gi, as a hard limit:
the first model load is OOM-killed. A GPU replica is really a share of a GPU machine, so the
CPU and memory it requests come from this table, per GPU (times ``gpu_count``).

The numbers are a conservative part (about four fifths, rounded down) of the per-GPU share of
the usual cloud machines with that GPU, so that a node's system reservations still leave room
for one replica per GPU:

- T4, L4, A10G: the one-GPU machines have 4 vCPUs and 16 GiB (AWS g4dn.xlarge, g6.xlarge,
  g5.xlarge; GCP g2-standard-4 for L4, n1-standard-4 with 15 GB for T4). Their allocatable
  memory is far below 16: GKE reserves 25% of the first 4 GiB, 20% of the next 4 and 10% of the
  next 8 plus a 100 MiB eviction threshold (GKE's "plan node sizes" page, as quoted by
  github.com/hatemosphere/gke-node-allocatable-memory-calculator: 13.3 GiB left of 16, 12.4 of
  n1-standard-4's 15; a review of this table put g2-standard-4 at about 12.3 GiB), and node
  DaemonSets (GPU driver installer, device plugin, logging) request part of that, so 12Gi did
  not fit -> 3 CPUs, 10Gi;
- L40S: AWS g6e.xlarge, 4 vCPUs and 32 GiB -> 3 CPUs, 24Gi;
- V100: AWS p3.2xlarge, 8 vCPUs and 61 GiB -> 6 CPUs, 48Gi;
- A100 (40 and 80 GB): AWS p4d/p4de.24xlarge, 96 vCPUs and 1152 GiB for 8 GPUs, 12 and 144 per
  GPU; GCP a2-highgpu-1g has 12 vCPUs and 85 GB -> 10 CPUs, 64Gi (40 GB) and 10 CPUs, 120Gi;
- H100, H200, B200, B300, GB300: 8-GPU machines with 192-224 vCPUs and 2-4 TiB (AWS p5, p5en,
  p6-b200; GCP a3-highgpu-8g: 208 vCPUs, 1872 GB, 26 and 234 per GPU) -> 20 CPUs, 200Gi;
- H100_40GB, a 3g.40gb MIG slice (3 of 7 compute slices): half an H100's -> 10 CPUs, 100Gi;
- RTX_PRO_6000 (96 GB): sized like an L40S-class card with twice the memory -> 8 CPUs, 64Gi.

The machine shapes are the providers' published instance tables as recalled when this was
written; docs/deploy.md shows the resulting table and a test keeps it complete. Give
``cpu_count``/``memory`` (or an ``instance_type``) to choose the numbers yourself.
"""

from __future__ import annotations

import dataclasses

from chains_build.plan import Resources
from chains_lint.model.types import ComputeConfig

GPU_DEFAULTS: dict[str, tuple[int, int]] = {
    "T4": (3, 10),
    "L4": (3, 10),
    "A10G": (3, 10),
    "V100": (6, 48),
    "A100": (10, 120),
    "A100_40GB": (10, 64),
    "H100": (20, 200),
    "H100_40GB": (10, 100),
    "H200": (20, 200),
    "B200": (20, 200),
    "L40S": (3, 24),
    "RTX_PRO_6000": (8, 64),
    "B300": (20, 200),
    "GB300": (20, 200),
}
"""GPU name -> (CPUs, GiB of memory) requested per GPU."""


def sized_for_gpu(resources: Resources, compute: ComputeConfig, given: set[str]) -> Resources:
    """``resources`` with the GPU table's CPU and memory when the chainlet has a GPU and gave
    neither ``cpu_count`` nor ``memory`` (``given``: the ``compute.*`` fields written)."""
    if resources.gpu is None or compute.instance_type is not None:
        return resources
    if "compute.cpu_count" in given or "compute.memory" in given:
        return resources
    cpus, gib = GPU_DEFAULTS[resources.gpu]
    count = resources.gpu_count
    return dataclasses.replace(
        resources,
        cpu=str(cpus * count),
        memory=f"{gib * count}Gi",
        source=f"the GPU table, {count}x {resources.gpu}: no cpu_count/memory given",
        from_gpu_table=True,
    )
