"""Replicas beyond one: a HorizontalPodAutoscaler or a KEDA ScaledObject, and a
PodDisruptionBudget.

- ``--max-replicas M`` above ``--replicas N`` scales each chainlet between N and M: by default
  with an ``autoscaling/v2`` HorizontalPodAutoscaler on CPU utilisation (of the request); with
  ``--autoscaler keda`` with a KEDA ScaledObject (``keda.sh/v1alpha1``, a custom resource: KEDA
  must be installed) whose Prometheus trigger reads the runtime's ``chains_requests_in_flight``
  gauge of the pods in ``--namespace``, aiming at ``predict_concurrency`` requests per replica.
  A chain with a GPU chainlet cannot use the CPU HPA (``k8s.checks``): its CPUs idle while the
  GPU works.
- A PodDisruptionBudget (``maxUnavailable: 1``) when the chainlet runs more than one replica, so
  a node drain never takes all of them at once.
"""

from __future__ import annotations

from chains_build import yaml_text
from chains_build.k8s.names import labels, selector
from chains_build.plan import ChainletPlan, ChainPlan

IN_FLIGHT_METRIC = "chains_requests_in_flight"
"""The runtime's gauge of run_remote requests being served or queued (``/metrics``)."""
SCALE_DOWN_WINDOW_SECONDS = 300
"""Scale down only after the load stayed low this long: a GPU replica is slow to come back."""


def _target(chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    return {"apiVersion": "apps/v1", "kind": "Deployment", "name": chainlet.slug}


def horizontal_pod_autoscaler(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    deploy = plan.deploy
    assert deploy.max_replicas is not None
    utilization: dict[str, yaml_text.Data] = {
        "type": "Utilization",
        "averageUtilization": deploy.target_cpu_percent,
    }
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": chainlet.slug, "labels": labels(plan, chainlet)},
        "spec": {
            "scaleTargetRef": _target(chainlet),
            "minReplicas": deploy.replicas,
            "maxReplicas": deploy.max_replicas,
            "metrics": [
                {"type": "Resource", "resource": {"name": "cpu", "target": utilization}}
            ],
            "behavior": {
                "scaleDown": {"stabilizationWindowSeconds": SCALE_DOWN_WINDOW_SECONDS}
            },
        },
    }


def in_flight_query(plan: ChainPlan, chainlet: ChainletPlan) -> str:
    """The chainlet's in-flight requests over its pods in ``--namespace`` (the label the usual
    ``prometheus.io/scrape`` relabelling writes): another chain in another namespace with a
    chainlet of the same class name is not counted."""
    assert plan.deploy.namespace is not None  # deploy_flags requires it with keda
    namespace = plan.deploy.namespace
    return f'sum({IN_FLIGHT_METRIC}{{namespace="{namespace}",chainlet="{chainlet.class_name}"}})'


def scaled_object(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    deploy = plan.deploy
    assert deploy.max_replicas is not None
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "ScaledObject",
        "metadata": {"name": chainlet.slug, "labels": labels(plan, chainlet)},
        "spec": {
            "scaleTargetRef": _target(chainlet),
            "minReplicaCount": deploy.replicas,
            "maxReplicaCount": deploy.max_replicas,
            "cooldownPeriod": SCALE_DOWN_WINDOW_SECONDS,
            "triggers": [
                {
                    "type": "prometheus",
                    "metadata": {
                        "serverAddress": deploy.prometheus_url,
                        "query": in_flight_query(plan, chainlet),
                        "threshold": str(chainlet.predict_concurrency),
                    },
                }
            ],
        },
    }


def pod_disruption_budget(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": chainlet.slug, "labels": labels(plan, chainlet)},
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(plan, chainlet)}},
    }
