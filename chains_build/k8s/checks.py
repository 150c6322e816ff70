"""Deployments ``chains-build`` refuses to write because they would not work on a cluster.

- A CPU HorizontalPodAutoscaler (``--max-replicas`` with the default ``--autoscaler hpa``) on a
  chain with a GPU chainlet: the HPA aims at a share of the CPU *request*, and a GPU chainlet
  requests a GPU machine's CPUs (``gpu_defaults``) while its work runs on the GPU, so the
  utilisation stays near zero and it never scales. ``--autoscaler keda`` scales on in-flight
  requests instead.
- A weights PersistentVolumeClaim that must be ``ReadWriteMany`` (``--replicas`` above 1 or
  autoscaled) without ``--storage-class``: the default classes of GKE (``standard-rwo``,
  pd-balanced) and EKS (gp2/gp3, EBS) offer only ``ReadWriteOnce``, so the claim stays Pending
  and so do the pods. Name a class that offers it (Filestore, EFS, NFS, CephFS...) or use
  ``--weights-volume emptydir`` (one download per pod).
"""

from __future__ import annotations

from chains_build.errors import BuildError
from chains_build.plan import ChainPlan


def check_deployable(plan: ChainPlan) -> None:
    """A ``BuildError`` naming the flag to change when the manifests would not work."""
    deploy = plan.deploy
    if deploy.autoscaled and deploy.autoscaler == "hpa":
        for chainlet in plan.chainlets:
            if chainlet.resources.gpu is not None:
                raise BuildError(
                    f"chainlet `{chainlet.display_name}` has a GPU: a CPU HorizontalPodAutoscaler "
                    "would never scale it (its CPUs idle while the GPU works); give "
                    "--autoscaler keda --namespace NAME to scale on in-flight requests"
                )
    shared = deploy.replicas > 1 or deploy.autoscaled
    if shared and deploy.weights_volume == "pvc" and deploy.storage_class is None:
        for chainlet in plan.chainlets:
            if chainlet.weights.items:
                raise BuildError(
                    f"chainlet `{chainlet.display_name}` keeps weights on a ReadWriteMany "
                    "claim (more than one replica), which default storage classes (GKE "
                    "pd-balanced, EKS gp2/gp3) cannot provide: give --storage-class NAME "
                    "of a class that can (Filestore, EFS, NFS), or --weights-volume emptydir"
                )
