"""The PersistentVolumeClaim holding a chainlet's declared weights (``--weights-volume pvc``).

One claim per chainlet, kept when the Deployment is deleted or rolled, so the weights are
downloaded once. ``ReadWriteOnce`` while the chainlet runs one replica; ``ReadWriteMany``
(a storage class that offers it: NFS, EFS, Filestore, CephFS...) when it may run more, and then
``--storage-class`` is required (``k8s.checks``): the default classes of GKE and EKS offer only
``ReadWriteOnce`` and the claim would stay Pending.
"""

from __future__ import annotations

from chains_build import yaml_text
from chains_build.k8s.names import labels
from chains_build.k8s.sizing import weights_claim_name
from chains_build.plan import ChainletPlan, ChainPlan


def access_mode(plan: ChainPlan) -> str:
    deploy = plan.deploy
    return "ReadWriteMany" if deploy.replicas > 1 or deploy.autoscaled else "ReadWriteOnce"


def weights_claim(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    spec: dict[str, yaml_text.Data] = {
        "accessModes": [access_mode(plan)],
        "resources": {"requests": {"storage": plan.deploy.weights_size}},
    }
    if plan.deploy.storage_class is not None:
        spec["storageClassName"] = plan.deploy.storage_class
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": weights_claim_name(chainlet), "labels": labels(plan, chainlet)},
        "spec": spec,
    }
