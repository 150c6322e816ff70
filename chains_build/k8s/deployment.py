"""The Deployment of a chainlet: one pod template running its image.

- requests equal limits for CPU and memory (the numbers of ``Compute``); a GPU chainlet that
  gave no ``cpu_count``/``memory`` requests the GPU table's share (``gpu_defaults``) with a
  memory limit equal to the request and no CPU limit; GPUs only as the ``nvidia.com/gpu``
  limit, which Kubernetes also takes as the request; every chainlet requests ephemeral storage;
- a GPU chainlet gets ``/dev/shm`` as a memory-backed emptyDir, is placed by its
  ``nvidia.com/gpu`` limit (and, with ``--gpu-node-label``, only on nodes whose label matches:
  ``nvidia.com/gpu.product`` takes one of its GPU's products), tolerates the usual
  ``nvidia.com/gpu`` taint, and rolls out by replacing its pod (``maxSurge: 0``) so an update
  needs no spare GPU;
- declared weights live in a cache volume (a PersistentVolumeClaim or an emptyDir) mounted at
  ``/app/model_cache`` (and each outside ``mount_location``), filled once by the server;
- probes: startup on ``/readyz`` for the chain's startup window (``HealthChecks``; liveness
  starts only after it), readiness on ``/readyz``, liveness on ``/healthz``;
- stopping: a ``preStop`` pause, then SIGTERM and the server's drain, inside
  ``terminationGracePeriodSeconds``;
- replicas only when not autoscaled (the HPA or ScaledObject owns them otherwise);
- wiring from the ConfigMap as a file, the service token and API key from Secrets via
  ``secretKeyRef`` (the API key required when an Ingress publishes the entrypoint), declared
  secrets as files from the chain's Secret (only the chainlet's keys);
- a non-root user (the image's numeric uid), no privilege escalation, no capabilities, no
  service-account token.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from chains_runtime.contract import (
    API_KEY_ENV,
    CONFIG_FILE_ENV,
    LIVENESS_PATH,
    READINESS_PATH,
    SERVICE_TOKEN_ENV,
)

from chains_build import yaml_text
from chains_build.deploy_options import (
    PRE_STOP_SECONDS,
    STOP_GRACE_SECONDS,
    WEIGHTS_DIR,
    DeployOptions,
)
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
from chains_build.k8s.sizing import ephemeral_request, shm_size, weights_claim_name
from chains_build.plan import APP_UID, SECRETS_DIR, ChainletPlan, ChainPlan, Resources
from chains_build.runtime_contract import checked_secret_keys, needs_service_token, user_environment

CONTAINER_NAME = "chainlet"
CONFIG_DIR = PurePosixPath("/etc/chains")
PROBE_PERIOD_SECONDS = 10
PROBE_TIMEOUT_SECONDS = 5
SECRET_FILE_MODE = 0o440
"""Read-only for the owner and the pod's ``fsGroup``, which is the image's group."""


def deployment(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    pod_labels = labels(plan, chainlet)
    spec: dict[str, yaml_text.Data] = {}
    if not plan.deploy.autoscaled:
        # An autoscaled Deployment has no replicas: each kubectl apply would reset the
        # autoscaler's choice to it (the autoscaler's minimum is --replicas).
        spec["replicas"] = plan.deploy.replicas
    spec["selector"] = {"matchLabels": selector(plan, chainlet)}
    single_attach = bool(chainlet.weights.items) and plan.deploy.weights_volume == "pvc"
    if chainlet.resources.gpu is not None or single_attach:
        # No spare GPU (or a ReadWriteOnce weights claim) for a surge pod: replace instead.
        spec["strategy"] = {
            "type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1},
        }
    template_metadata: dict[str, yaml_text.Data] = {"labels": pod_labels}
    if plan.deploy.autoscaled and plan.deploy.autoscaler == "keda":
        # The usual annotations a Prometheus scrape configuration reads: KEDA's query needs
        # the in-flight gauge of /metrics.
        template_metadata["annotations"] = {
            "prometheus.io/scrape": "true",
            "prometheus.io/port": str(chainlet.port),
            "prometheus.io/path": "/metrics",
        }
    spec["template"] = {
        "metadata": template_metadata,
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
    volumes += _extra_volumes(plan, chainlet)
    pod: dict[str, yaml_text.Data] = {
        "terminationGracePeriodSeconds": STOP_GRACE_SECONDS,
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
        label = plan.deploy.gpu_node_label
        if label is not None:
            values = list(gpu_model(gpu).node_products) if label == GPU_PRODUCT_LABEL else [gpu]
            pod["affinity"] = {
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [
                                {"key": label, "operator": "In", "values": values}
                            ]}
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
    mounts += _extra_mounts(chainlet)
    health = chainlet.health
    return {
        "name": CONTAINER_NAME,
        "image": chainlet.image,
        "imagePullPolicy": "IfNotPresent",
        "ports": [{"name": "http", "containerPort": chainlet.port, "protocol": "TCP"}],
        "env": _environment(plan, chainlet),
        "resources": _resources(plan.deploy, chainlet),
        "startupProbe": _probe(READINESS_PATH, failures=_periods(health.startup_seconds)),
        "readinessProbe": _probe(READINESS_PATH, failures=_failures(health.stop_traffic_seconds)),
        "livenessProbe": _probe(LIVENESS_PATH, failures=_failures(health.restart_seconds)),
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", str(PRE_STOP_SECONDS)]}}},
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
        # Published by an Ingress: the key is required (the pod does not start without the
        # Secret), as Compose requires it beyond loopback. The Ingress's host rule already
        # keeps other Host names away, so no CHAINS_ALLOWED_HOSTS (kubelet probes send the
        # pod's IP as Host).
        key_ref: dict[str, yaml_text.Data] = {"name": api_key_name(plan), "key": API_KEY_KEY}
        if plan.deploy.ingress_host is None:
            key_ref["optional"] = True
        env.append({"name": API_KEY_ENV, "valueFrom": {"secretKeyRef": key_ref}})
    env.extend({"name": name, "value": value} for name, value in user_environment(chainlet))
    return env


def _resources(deploy: DeployOptions, chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    resources: Resources = chainlet.resources
    requests: dict[str, yaml_text.Data] = {
        "cpu": resources.cpu,
        "memory": resources.memory,
        "ephemeral-storage": ephemeral_request(deploy, chainlet),
    }
    limits: dict[str, yaml_text.Data] = {"memory": resources.memory}
    if not resources.from_gpu_table:
        limits = {"cpu": resources.cpu, **limits}
    if resources.gpu is not None:
        limits[GPU_RESOURCE] = resources.gpu_count
    return {"requests": requests, "limits": limits}


def _periods(seconds: int) -> int:
    return max(1, -(-seconds // PROBE_PERIOD_SECONDS))


def _failures(seconds: int | None) -> int:
    """``HealthChecks`` thresholds in probe periods; 3 failures when not set."""
    return 3 if seconds is None else _periods(seconds)


def _extra_volumes(plan: ChainPlan, chainlet: ChainletPlan) -> list[yaml_text.Data]:
    volumes: list[yaml_text.Data] = []
    if chainlet.resources.gpu is not None:
        size = shm_size(plan.deploy, chainlet)
        volumes.append({"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": size}})
    if chainlet.weights.items:
        if plan.deploy.weights_volume == "pvc":
            claim = {"claimName": weights_claim_name(chainlet)}
            volumes.append({"name": "weights", "persistentVolumeClaim": claim})
        else:
            volumes.append({"name": "weights", "emptyDir": {"sizeLimit": plan.deploy.weights_size}})
    return volumes


def _extra_mounts(chainlet: ChainletPlan) -> list[yaml_text.Data]:
    mounts: list[yaml_text.Data] = []
    if chainlet.resources.gpu is not None:
        mounts.append({"name": "shm", "mountPath": "/dev/shm"})
    if chainlet.weights.items:
        # One volume for all weights; other mount locations are symlinks into it.
        mounts.append({"name": "weights", "mountPath": str(WEIGHTS_DIR)})
    return mounts



def _probe(path: str, *, failures: int) -> dict[str, yaml_text.Data]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": PROBE_PERIOD_SECONDS,
        "timeoutSeconds": PROBE_TIMEOUT_SECONDS,
        "failureThreshold": failures,
    }
