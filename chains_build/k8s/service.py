"""The Service of a chainlet: its stable DNS name inside the namespace.

Every Service, the entrypoint's too, is ``ClusterIP``: nothing is exposed outside the cluster
unless the user chooses how (``kubectl port-forward``, an Ingress, or a LoadBalancer; see
docs/deploy.md).
"""

from __future__ import annotations

from chains_build import yaml_text
from chains_build.k8s.names import labels, selector
from chains_build.plan import ChainletPlan, ChainPlan


def service(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": chainlet.slug, "labels": labels(plan, chainlet)},
        "spec": {
            "type": "ClusterIP",
            "selector": selector(plan, chainlet),
            "ports": [
                {"name": "http", "port": chainlet.port, "targetPort": "http", "protocol": "TCP"}
            ],
        },
    }
