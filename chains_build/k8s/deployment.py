"""The Deployment of a chainlet: one pod template running its image.

- requests equal limits for CPU and memory (the numbers of ``Compute``); GPUs only as the
  ``nvidia.com/gpu`` limit, which Kubernetes also takes as the request;
- a GPU chainlet may only run on nodes whose ``nvidia.com/gpu.product`` label is one of its
  GPU's products (``instance_types.GPU_MODELS``), tolerates the usual ``nvidia.com/gpu`` taint,
  and rolls out by replacing its pod (``maxSurge: 0``) so an update needs no spare GPU;
- probes: startup on ``/readyz``, generous because ``__init__`` loads models (liveness starts
  only after it), readiness on ``/readyz``, liveness on ``/healthz``;
- wiring from the ConfigMap as a file, the service token and API key from Secrets via
  ``secretKeyRef``, declared secrets as files from the chain's Secret (only the chainlet's keys);
- a non-root user (the image's numeric uid), no privilege escalation, no capabilities, no
  service-account token.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from chains_build import yaml_text
from chains_build.instance_types import GPU_PRODUCT_LABEL, GPU_RESOURCE, gpu_model
from chains_build.k8s.names import (
    API_KEY_KEY,
    CONFIG_FILE_NAME,
    SERVICE_TOKEN_KEY,
    api_key_name,
    config_map_name,
    labels,
    secrets_name,
    selector,
    service_token_name,
)
from chains_build.plan import APP_UID, SECRETS_DIR, ChainletPlan, ChainPlan, Resources
from chains_build.runtime_contract import (
    API_KEY_ENV,
    CONFIG_FILE_ENV,
    LIVENESS_PATH,
    READINESS_PATH,
    SERVICE_TOKEN_ENV,
    STARTUP_GRACE_SECONDS,
    checked_secret_keys,
    needs_service_token,
    user_environment,
)

CONTAINER_NAME = "chainlet"
CONFIG_DIR = PurePosixPath("/etc/chains")
PROBE_PERIOD_SECONDS = 10
PROBE_TIMEOUT_SECONDS = 5
SECRET_FILE_MODE = 0o440
"""Read-only for the owner and the pod's ``fsGroup``, which is the image's group."""


def deployment(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    pod_labels = labels(plan, chainlet)
    spec: dict[str, yaml_text.Data] = {
        "replicas": 1,
        "selector": {"matchLabels": selector(plan, chainlet)},
    }
    if chainlet.resources.gpu is not None:
        spec["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
        }
    spec["template"] = {
        "metadata": {"labels": pod_labels},
        "spec": _pod_spec(plan, chainlet),
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": chainlet.slug, "labels": pod_labels},
        "spec": spec,
    }


def _pod_spec(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    volumes: list[yaml_text.Data] = [
        {"name": "wiring", "configMap": {"name": config_map_name(chainlet)}}
    ]
    keys = checked_secret_keys(chainlet)
    if keys:
        volumes.append(
            {
                "name": "secrets",
                "secret": {
                    "secretName": secrets_name(plan),
                    "items": [{"key": key, "path": key} for key in keys],
                    "defaultMode": SECRET_FILE_MODE,
                },
            }
        )
    pod: dict[str, yaml_text.Data] = {
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": APP_UID,
            "runAsGroup": APP_UID,
            "fsGroup": APP_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(plan, chainlet)],
        "volumes": volumes,
    }
    gpu = chainlet.resources.gpu
    if gpu is not None:
        products = list(gpu_model(gpu).node_products)
        pod["affinity"] = {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {
                            "matchExpressions": [
                                {"key": GPU_PRODUCT_LABEL, "operator": "In", "values": products}
                            ]
                        }
                    ]
                }
            }
        }
        pod["tolerations"] = [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]
    return pod


def _container(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    mounts: list[yaml_text.Data] = [
        {"name": "wiring", "mountPath": str(CONFIG_DIR), "readOnly": True}
    ]
    if chainlet.secret_keys:
        mounts.append({"name": "secrets", "mountPath": str(SECRETS_DIR), "readOnly": True})
    startup_failures = -(-STARTUP_GRACE_SECONDS // PROBE_PERIOD_SECONDS)
    return {
        "name": CONTAINER_NAME,
        "image": chainlet.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": chainlet.port, "protocol": "TCP"}],
        "env": _environment(plan, chainlet),
        "resources": _resources(chainlet.resources),
        "startupProbe": _probe(READINESS_PATH, failures=startup_failures),
        "readinessProbe": _probe(READINESS_PATH, failures=3),
        "livenessProbe": _probe(LIVENESS_PATH, failures=3),
        "volumeMounts": mounts,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
        },
    }


def _environment(plan: ChainPlan, chainlet: ChainletPlan) -> list[yaml_text.Data]:
    env: list[yaml_text.Data] = [
        {"name": CONFIG_FILE_ENV, "value": str(CONFIG_DIR / CONFIG_FILE_NAME)}
    ]
    if needs_service_token(chainlet):
        reference = {"name": service_token_name(plan), "key": SERVICE_TOKEN_KEY}
        env.append({"name": SERVICE_TOKEN_ENV, "valueFrom": {"secretKeyRef": reference}})
    if chainlet.is_entrypoint:
        optional: dict[str, yaml_text.Data] = {
            "name": api_key_name(plan),
            "key": API_KEY_KEY,
            "optional": True,
        }
        env.append({"name": API_KEY_ENV, "valueFrom": {"secretKeyRef": optional}})
    env.extend({"name": name, "value": value} for name, value in user_environment(chainlet))
    return env


def _resources(resources: Resources) -> dict[str, yaml_text.Data]:
    requests: dict[str, yaml_text.Data] = {"cpu": resources.cpu, "memory": resources.memory}
    limits: dict[str, yaml_text.Data] = dict(requests)
    if resources.gpu is not None:
        limits[GPU_RESOURCE] = resources.gpu_count
    return {"requests": requests, "limits": limits}


def _probe(path: str, *, failures: int) -> dict[str, yaml_text.Data]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": PROBE_PERIOD_SECONDS,
        "timeoutSeconds": PROBE_TIMEOUT_SECONDS,
        "failureThreshold": failures,
    }
