"""The optional Ingress of the entrypoint (``--ingress-host``, ``--ingress-tls-secret``).

Only the entrypoint is exposed; internal chainlets stay ClusterIP Services that require the
service token. The ingress-nginx annotations let long and streaming calls through (other
controllers ignore them). Set the API key before exposing a chain (docs/deploy.md).
"""

from __future__ import annotations

from chains_build import yaml_text
from chains_build.k8s.names import labels
from chains_build.plan import ChainPlan

NGINX_ANNOTATIONS = {
    "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
    "nginx.ingress.kubernetes.io/proxy-send-timeout": "3600",
    "nginx.ingress.kubernetes.io/proxy-buffering": "off",
    "nginx.ingress.kubernetes.io/proxy-body-size": "64m",
}


def ingress(plan: ChainPlan) -> dict[str, yaml_text.Data]:
    deploy = plan.deploy
    entrypoint = plan.entrypoint
    assert deploy.ingress_host is not None
    port: dict[str, yaml_text.Data] = {"name": "http"}
    backend: dict[str, yaml_text.Data] = {"service": {"name": entrypoint.slug, "port": port}}
    spec: dict[str, yaml_text.Data] = {}
    if deploy.ingress_class is not None:
        spec["ingressClassName"] = deploy.ingress_class
    if deploy.ingress_tls_secret is not None:
        spec["tls"] = [{"hosts": [deploy.ingress_host], "secretName": deploy.ingress_tls_secret}]
    spec["rules"] = [
        {
            "host": deploy.ingress_host,
            "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]},
        }
    ]
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": entrypoint.slug,
            "labels": labels(plan, entrypoint),
            "annotations": dict(NGINX_ANNOTATIONS),
        },
        "spec": spec,
    }
