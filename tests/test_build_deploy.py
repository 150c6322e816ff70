"""Deployments that hold on a real cluster and a one-step Compose (issue 10, items 4-6).

Chain files in, ``chains-build`` run, and the written docker-compose.yaml, k8s/ manifests,
Dockerfiles, generated servers and ``.env`` read back: GPU sizing from the GPU table, /dev/shm,
ephemeral storage, stop grace and preStop, replicas, HPA, KEDA, PDB, Ingress, GPU placement
without feature discovery, the weights cache volume, the startup window from HealthChecks,
the service token in ``.env`` (mode 600, kept), and the loopback publishing.
"""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from chains_build.deploy_options import (
    DEFAULT_STARTUP_SECONDS,
    DRAIN_SECONDS,
    GPU_PRODUCT_LABEL,
    PRE_STOP_SECONDS,
    STOP_GRACE_SECONDS,
)
from chains_build.gpu_defaults import GPU_DEFAULTS
from chains_build.instance_types import GPU_MODELS
from chains_build.instance_types import GPU_PRODUCT_LABEL as TABLE_LABEL
from chains_build.runtime_contract import STARTUP_GRACE_SECONDS
from tests.build_helpers import build, tree, write
from tests.deploy_helpers import require_tool, run

Manifest = dict[str, Any]

SIXTEEN_GIB_GPUS = ("T4", "L4", "A10G")
"""GPUs whose one-GPU machines have 16 GiB (g4dn/g6/g5.xlarge, g2-standard-4)."""
SIXTEEN_GIB_ALLOCATABLE = 12
"""GiB a 16 GiB GKE node leaves pods, rounded down (about 12.3 GiB in review)."""

CHAIN = """
    import truss_chains as chains


    class Embed(chains.ChainletBase):
        remote_config = chains.RemoteConfig(
            docker_image=chains.DockerImage(pip_requirements=["huggingface_hub"]),
            compute=chains.Compute(gpu="H100"),
            assets=chains.Assets(
                secret_keys=["hf_access_token"],
                cached=[
                    chains.ModelRepo(
                        repo_id="org/model", revision="main", use_volume=True,
                        volume_folder="model", allow_patterns=["*.json"],
                    ),
                    chains.ModelRepo(repo_id="org/tokenizer", revision="v1", use_volume=False),
                ],
                weights=[
                    chains.WeightsSource(
                        source="https://example.com/files/w.bin", mount_location="/models/w"
                    ),
                ],
            ),
            options=chains.ChainletOptions(
                health_checks=chains.HealthChecks(
                    startup_threshold_seconds=1800, restart_threshold_seconds=60
                )
            ),
        )

        async def run_remote(self, texts: list[str]) -> int:
            return len(texts)


    class Small(chains.ChainletBase):
        remote_config = chains.RemoteConfig(
            compute=chains.Compute(cpu_count=2, memory="4Gi", gpu="L4", gpu_count=2),
        )

        async def run_remote(self, text: str) -> int:
            return len(text)


    @chains.mark_entrypoint("Search")
    class Search(chains.ChainletBase):
        def __init__(
            self,
            embed: Embed = chains.depends(Embed),
            small: Small = chains.depends(Small),
        ) -> None:
            self._embed = embed
            self._small = small

        async def run_remote(self, query: str) -> int:
            return await self._embed.run_remote([query]) + await self._small.run_remote(query)
"""


def built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], *flags: str, name: str = "out"
) -> Path:
    chain = write(tmp_path / "src", "chain.py", CHAIN)
    out = tmp_path / name
    status, _, stderr = build(capsys, chain, "-o", out, *flags)
    assert status == 0, stderr
    return out


def documents(out: Path, name: str) -> list[Manifest]:
    return [d for d in yaml.safe_load_all((out / "k8s" / name).read_text()) if d]


def of_kind(out: Path, name: str, kind: str) -> list[Manifest]:
    return [d for d in documents(out, name) if d["kind"] == kind]


def pod_of(out: Path, name: str) -> Manifest:
    (deployment,) = of_kind(out, name, "Deployment")
    pod: Manifest = deployment["spec"]["template"]["spec"]
    return pod


def validate(out: Path, *files: Path) -> str:
    paths = [str(p) for p in files] or sorted(
        str(p) for p in (out / "k8s").glob("*.yaml") if not p.name.endswith(".keda.yaml")
    )
    result = run([require_tool("kubernetes-validate"), "--strict", *paths], cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


# --- Kubernetes on a GPU cluster ---------------------------------------------------------------


def test_a_gpu_chainlet_without_cpu_or_memory_requests_the_gpu_tables_share(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(tmp_path, capsys)
    resources = pod_of(out, "embed.yaml")["containers"][0]["resources"]
    cpus, gib = GPU_DEFAULTS["H100"]
    assert resources["requests"] == {
        "cpu": str(cpus),
        "memory": f"{gib}Gi",
        "ephemeral-storage": "2Gi",
    }
    # No CPU limit (no throttling), memory limited at the request, never below it.
    assert resources["limits"] == {"memory": f"{gib}Gi", "nvidia.com/gpu": 1}
    assert cpus >= 8 and gib >= 64
    # Explicit numbers are the user's, requests equal to limits, as before.
    small = pod_of(out, "small.yaml")["containers"][0]["resources"]
    assert small["requests"] == {"cpu": "2", "memory": "4Gi", "ephemeral-storage": "2Gi"}
    assert small["limits"] == {"cpu": "2", "memory": "4Gi", "nvidia.com/gpu": 2}


def test_every_gpu_has_defaults_that_grow_with_its_memory() -> None:
    assert sorted(GPU_DEFAULTS) == sorted(model.name for model in GPU_MODELS)
    for model in GPU_MODELS:
        cpus, gib = GPU_DEFAULTS[model.name]
        # Half the GPU's memory in host memory, except where the usual machine (16 GiB) has
        # less allocatable than that: there the row stays below its allocatable memory.
        if model.name in SIXTEEN_GIB_GPUS:
            assert cpus == 3 and gib <= SIXTEEN_GIB_ALLOCATABLE - 2, model.name
        else:
            assert cpus >= 3 and gib >= model.memory_gb // 2, model.name


def test_the_docs_show_the_gpu_defaults_table() -> None:
    text = (Path(__file__).resolve().parent.parent / "docs" / "deploy.md").read_text()
    match = re.search(
        r"<!-- gpu-defaults-table -->\n(.*?)\n<!-- /gpu-defaults-table -->", text, re.DOTALL
    )
    assert match, "docs/deploy.md lost its <!-- gpu-defaults-table --> markers"
    rows = match.group(1).splitlines()[2:]
    expected = [f"| `{name}` | {cpus} | {gib}Gi |" for name, (cpus, gib) in GPU_DEFAULTS.items()]
    assert rows == expected


def test_gpu_pods_get_a_memory_backed_dev_shm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(tmp_path, capsys)
    pod = pod_of(out, "embed.yaml")
    shm = next(v for v in pod["volumes"] if v["name"] == "shm")
    assert shm["emptyDir"] == {"medium": "Memory", "sizeLimit": "16Gi"}
    assert {"name": "shm", "mountPath": "/dev/shm"} in pod["containers"][0]["volumeMounts"]
    # L4 x2 with 4Gi: a quarter of the memory, at least 1Gi.
    small = next(v for v in pod_of(out, "small.yaml")["volumes"] if v["name"] == "shm")
    assert small["emptyDir"]["sizeLimit"] == "1Gi"
    # A CPU chainlet keeps the default.
    assert all(v["name"] != "shm" for v in pod_of(out, "search.yaml")["volumes"])
    sized = built(tmp_path, capsys, "--shm-size", "32Gi", name="sized")
    shm = next(v for v in pod_of(sized, "embed.yaml")["volumes"] if v["name"] == "shm")
    assert shm["emptyDir"]["sizeLimit"] == "32Gi"


def test_stopping_pauses_then_drains_within_the_grace_period(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from chains_runtime.serve import DEFAULT_GRACEFUL_TIMEOUT_SEC

    assert DRAIN_SECONDS == DEFAULT_GRACEFUL_TIMEOUT_SEC
    out = built(tmp_path, capsys)
    for name in ("search.yaml", "embed.yaml", "small.yaml"):
        pod = pod_of(out, name)
        assert pod["terminationGracePeriodSeconds"] == STOP_GRACE_SECONDS
        assert STOP_GRACE_SECONDS > PRE_STOP_SECONDS + DRAIN_SECONDS
        lifecycle = pod["containers"][0]["lifecycle"]
        assert lifecycle == {"preStop": {"exec": {"command": ["sleep", str(PRE_STOP_SECONDS)]}}}


def test_the_startup_window_comes_from_health_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert DEFAULT_STARTUP_SECONDS == STARTUP_GRACE_SECONDS
    out = built(tmp_path, capsys)
    container = pod_of(out, "embed.yaml")["containers"][0]
    startup = container["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] == 1800
    liveness = container["livenessProbe"]
    assert liveness["periodSeconds"] * liveness["failureThreshold"] == 60
    default = pod_of(out, "search.yaml")["containers"][0]["startupProbe"]
    assert default["periodSeconds"] * default["failureThreshold"] == DEFAULT_STARTUP_SECONDS
    compose = yaml.safe_load((out / "docker-compose.yaml").read_text())
    check = compose["services"]["embed"]["healthcheck"]
    assert "deadline = time.monotonic() + 1800" in check["test"][3]
    assert check["timeout"] == "1830s"


def test_gpu_placement_by_feature_discovery_by_another_label_or_none(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert GPU_PRODUCT_LABEL == TABLE_LABEL

    def expression(out: Path) -> Manifest | None:
        affinity = pod_of(out, "embed.yaml").get("affinity")
        if affinity is None:
            return None
        terms = affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        found: Manifest = terms["nodeSelectorTerms"][0]["matchExpressions"][0]
        return found

    # By default no affinity: GKE and plain EKS nodes have no nvidia.com/gpu.product label;
    # the nvidia.com/gpu limit alone puts the pod on a GPU node.
    assert expression(built(tmp_path, capsys)) is None
    discovered = built(
        tmp_path, capsys, "--gpu-node-label", "nvidia.com/gpu.product", name="gfd"
    )
    default = expression(discovered)
    assert default is not None and default["key"] == "nvidia.com/gpu.product"
    assert "NVIDIA-H100-80GB-HBM3" in default["values"]
    labelled = built(tmp_path, capsys, "--gpu-node-label", "example.com/gpu", name="labelled")
    assert expression(labelled) == {"key": "example.com/gpu", "operator": "In", "values": ["H100"]}
    validate(labelled)
    free = built(tmp_path, capsys, "--gpu-node-label", "none", name="free")
    assert expression(free) is None
    # Still only on GPU nodes: the GPU request and the toleration remain.
    pod = pod_of(free, "embed.yaml")
    assert pod["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == 1
    assert pod["tolerations"][0]["key"] == "nvidia.com/gpu"


def test_replicas_autoscaler_budget_and_ingress_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(
        tmp_path,
        capsys,
        "--replicas", "2", "--max-replicas", "6", "--autoscaler", "keda",
        "--namespace", "chains",
        "--ingress-host", "search.example.com", "--ingress-tls-secret", "search-tls",
        "--ingress-class", "nginx", "--storage-class", "fast-rwx",
    )
    stdout = validate(out)
    kinds = ("poddisruptionbudget", "ingress", "persistentvolumeclaim")
    for kind in kinds:
        assert f"passed for resource {kind}/" in stdout, kind
    (deployment,) = of_kind(out, "embed.yaml", "Deployment")
    # The ScaledObject owns the replicas: a kubectl apply must not reset them.
    assert "replicas" not in deployment["spec"]
    (scaled,) = documents(out, "embed.keda.yaml")
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (2, 6)
    (budget,) = of_kind(out, "embed.yaml", "PodDisruptionBudget")
    assert budget["spec"] == {
        "maxUnavailable": 1,
        "selector": {"matchLabels": deployment["spec"]["selector"]["matchLabels"]},
    }
    (ingress,) = of_kind(out, "search.yaml", "Ingress")
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["search.example.com"], "secretName": "search-tls"}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "search.example.com"
    assert rule["http"]["paths"][0]["backend"] == {
        "service": {"name": "search", "port": {"name": "http"}}
    }
    assert not of_kind(out, "embed.yaml", "Ingress")  # only the entrypoint is exposed
    # More than one replica share the weights claim: ReadWriteMany, of the class given.
    (claim,) = of_kind(out, "embed.yaml", "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["storageClassName"] == "fast-rwx"


def test_one_replica_has_no_autoscaler_budget_or_ingress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(tmp_path, capsys)
    kinds = {d["kind"] for name in ("search.yaml", "embed.yaml") for d in documents(out, name)}
    assert kinds == {"ConfigMap", "Deployment", "Service", "PersistentVolumeClaim"}
    (claim,) = of_kind(out, "embed.yaml", "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert claim["spec"]["resources"] == {"requests": {"storage": "100Gi"}}
    validate(out)


def test_keda_scales_on_the_in_flight_gauge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(
        tmp_path, capsys, "--max-replicas", "4", "--autoscaler", "keda",
        "--prometheus-url", "http://prometheus.monitoring:9090", "--namespace", "team-a",
        "--storage-class", "efs",
    )
    validate(out)  # the standard objects; the ScaledObject is a custom resource
    assert not of_kind(out, "embed.yaml", "HorizontalPodAutoscaler")
    (scaled,) = documents(out, "embed.keda.yaml")
    # KEDA's ScaledObject (keda.sh/v1alpha1) has no schema kubernetes-validate knows: its
    # shape is checked here against KEDA's documented fields.
    assert scaled["apiVersion"] == "keda.sh/v1alpha1" and scaled["kind"] == "ScaledObject"
    spec = scaled["spec"]
    assert set(spec) == {
        "scaleTargetRef", "minReplicaCount", "maxReplicaCount", "cooldownPeriod", "triggers"
    }
    assert spec["scaleTargetRef"]["name"] == "embed"
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (1, 4)
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "prometheus"
    assert trigger["metadata"] == {
        "serverAddress": "http://prometheus.monitoring:9090",
        "query": 'sum(chains_requests_in_flight{namespace="team-a",chainlet="Embed"})',
        "threshold": "1",
    }
    assert all(isinstance(value, str) for value in trigger["metadata"].values())
    (deployment,) = of_kind(out, "embed.yaml", "Deployment")
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/path"] == "/metrics"


def test_the_in_flight_metric_is_what_the_runtime_exports() -> None:
    from chains_runtime.server.metrics import ChainletMetrics

    text = ChainletMetrics("Embed", queue_waiting=lambda: 0).render()
    assert 'chains_requests_in_flight{chainlet="Embed"} 0' in text


def test_weights_live_in_a_cache_volume(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(tmp_path, capsys)
    pod = pod_of(out, "embed.yaml")
    assert {"name": "weights", "mountPath": "/app/model_cache"} in (
        pod["containers"][0]["volumeMounts"]
    )
    volume = next(v for v in pod["volumes"] if v["name"] == "weights")
    assert volume == {"name": "weights", "persistentVolumeClaim": {"claimName": "embed-weights"}}
    # A ReadWriteOnce claim cannot be attached by a surge pod: the rollout replaces.
    (deployment,) = of_kind(out, "embed.yaml", "Deployment")
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxSurge"] == 0
    empty = built(tmp_path, capsys, "--weights-volume", "emptydir", "--weights-size", "50Gi",
                  name="empty")
    pod = pod_of(empty, "embed.yaml")
    volume = next(v for v in pod["volumes"] if v["name"] == "weights")
    assert volume == {"name": "weights", "emptyDir": {"sizeLimit": "50Gi"}}
    requests = pod["containers"][0]["resources"]["requests"]
    assert requests["ephemeral-storage"] == "52Gi"  # 2Gi + the emptyDir
    assert not of_kind(empty, "embed.yaml", "PersistentVolumeClaim")
    validate(empty)
    # Compose: a named volume, kept by `docker compose down`.
    compose = yaml.safe_load((out / "docker-compose.yaml").read_text())
    assert compose["services"]["embed"]["volumes"] == ["embed-weights:/app/model_cache"]
    assert compose["volumes"] == {"embed-weights": {}}
    assert "volumes" not in compose["services"]["search"]


def test_the_image_prepares_the_cache_and_the_server_downloads_into_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(tmp_path, capsys)
    dockerfile = (out / "Embed" / "Dockerfile").read_text()
    # The volume's hub cache is the download's cache_dir only: HF_HUB_CACHE stays the image's
    # $HF_HOME/hub, where what build commands downloaded is found.
    assert "HF_HUB_CACHE" not in dockerfile
    assert "HF_HOME=/home/chains/.cache/huggingface" in dockerfile
    assert "    && chown 10001:10001 /app/model_cache /app/model_cache/mount-0" in dockerfile
    assert "ln -s /app/model_cache/mount-0 /models/w" in dockerfile
    assert "HF_HUB_CACHE" not in (out / "Search" / "Dockerfile").read_text()
    namespace: dict[str, Any] = {}
    server = (out / "Embed" / "chainlet_server.py").read_text()
    weights_block = server[server.index("WEIGHTS = [") : server.index('"""Assets(cached')]
    exec(weights_block, namespace)  # the literal the server hands to chains_runtime.weights
    assert namespace["WEIGHTS"] == [
        {
            "kind": "hf", "source": "org/model", "revision": "main",
            "target": "/app/model_cache/model", "allow_patterns": ["*.json"],
            "ignore_patterns": [], "hub_cache": False, "secret": "hf_access_token", "link": None,
        },
        {
            "kind": "hf", "source": "org/tokenizer", "revision": "v1",
            "target": "/app/model_cache/huggingface/hub", "allow_patterns": [],
            "ignore_patterns": [], "hub_cache": True, "secret": "hf_access_token", "link": None,
        },
        {
            "kind": "https", "source": "https://example.com/files/w.bin", "revision": "",
            "target": "/app/model_cache/mount-0", "allow_patterns": [], "ignore_patterns": [],
            "hub_cache": False, "secret": None, "link": "/models/w",
        },
    ]
    assert "failed = weights.main_guard(WEIGHTS)" in server
    assert "weights" not in (out / "Search" / "chainlet_server.py").read_text()


@pytest.mark.parametrize(
    ("assets", "message"),
    [
        ('weights=[chains.WeightsSource(source="s3://b/k", mount_location="/m")]',
         "chains-build downloads Hugging Face repos"),
        ('weights=[chains.WeightsSource(source="hf://org/r", mount_location="models")]',
         "must be an absolute folder"),
        ('weights=[chains.WeightsSource(source="hf://org/r", mount_location="/app/code")]',
         "would hide the chainlet's code in /app"),
    ],
)
def test_weights_the_build_cannot_serve_are_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], assets: str, message: str
) -> None:
    status, _, stderr = _build_with_assets(tmp_path, capsys, assets)
    assert status == 1
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert "Traceback" not in stderr


def test_a_volume_without_its_folder_is_a_lint_error_before_the_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assets = 'cached=[chains.ModelRepo(repo_id="o/r", revision="v", use_volume=True)]'
    status, stdout, stderr = _build_with_assets(tmp_path, capsys, assets)
    assert status == 1
    assert "CH725" in stdout and "volume_folder" in stdout
    assert "1 lint error(s)" in stderr
    assert not (tmp_path / "out").exists()


def _build_with_assets(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], assets: str
) -> tuple[int, str, str]:
    text = f"""
        import truss_chains as chains


        @chains.mark_entrypoint
        class Model(chains.ChainletBase):
            remote_config = chains.RemoteConfig(assets=chains.Assets({assets}))

            async def run_remote(self, text: str) -> str:
                return text
    """
    chain = write(tmp_path, "chain.py", text)
    return build(capsys, chain, "-o", tmp_path / "out")


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--replicas", "0"], "--replicas 0: give 1 or more"),
        (["--replicas", "3", "--max-replicas", "2"], "is below --replicas 3"),
        (["--publish", "everywhere"], "give an IP address"),
        (["--ingress-host", "Not A Host"], "give a DNS name"),
        (["--ingress-tls-secret", "tls"], "needs --ingress-host"),
        (["--gpu-node-label", "bad label!"], "give a label key"),
        (["--weights-size", "lots"], "give a size such as 16Gi"),
        (["--autoscaler", "magic"], "invalid choice"),
        (["--prometheus-url", "prometheus:9090"], "give an http:// or https:// URL"),
        (["--namespace", "team.a"], "give a namespace name"),
        (["--max-replicas", "2", "--autoscaler", "keda"], "needs --namespace NAME"),
    ],
)
def test_bad_deployment_flags_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    chain = write(tmp_path, "chain.py", CHAIN)
    status, _, stderr = build(capsys, chain, "-o", tmp_path / "out", *flags)
    assert status == 2
    assert message in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert not (tmp_path / "out").exists()


# --- Compose in one step -----------------------------------------------------------------------


def token_of(out: Path) -> str:
    (line,) = (out / ".env").read_text().splitlines()
    name, _, value = line.partition("=")
    assert name == "CHAINS_SERVICE_TOKEN"
    return value


def test_the_first_build_writes_a_private_env_with_a_random_token_and_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(tmp_path, capsys)
    assert stat.S_IMODE((out / ".env").stat().st_mode) == 0o600
    token = token_of(out)
    assert len(token) == 64 and int(token, 16) >= 0
    # Nowhere else: every other output is the same for the same input.
    assert all(token.encode() not in content for content in tree(out).values())
    other = built(tmp_path, capsys, name="other")
    assert token_of(other) != token
    assert tree(other) == tree(out)
    # A rebuild into the same folder keeps it.
    again = built(tmp_path, capsys)
    assert again == out and token_of(out) == token


def test_an_env_without_a_token_gets_one_and_keeps_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(tmp_path, capsys)
    (out / ".env").write_text("CHAINS_API_KEY=key")  # the deployer's own, no newline at end
    built(tmp_path, capsys)
    lines = (out / ".env").read_text().splitlines()
    assert lines[0] == "CHAINS_API_KEY=key"
    assert lines[1].startswith("CHAINS_SERVICE_TOKEN=") and len(lines) == 2


def test_compose_publishes_on_loopback_with_grace_and_shm(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(tmp_path, capsys)
    services = yaml.safe_load((out / "docker-compose.yaml").read_text())["services"]
    assert services["search"]["ports"] == ["127.0.0.1:8000:8080"]
    assert services["search"]["environment"]["CHAINS_API_KEY"] == "${CHAINS_API_KEY:-}"
    for service in services.values():
        assert service["stop_grace_period"] == f"{STOP_GRACE_SECONDS}s"
    assert services["embed"]["shm_size"] == "16g"
    assert services["small"]["shm_size"] == "1g"
    assert "shm_size" not in services["search"]
    # The GPU table's CPUs are a node's share, not this host's: no CPU limit for them.
    assert services["embed"]["deploy"]["resources"]["limits"] == {"memory": "200g"}
    assert services["small"]["deploy"]["resources"]["limits"] == {"cpus": "2", "memory": "4g"}


def test_publishing_beyond_loopback_requires_an_api_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(tmp_path, capsys, "--publish", "0.0.0.0")
    text = (out / "docker-compose.yaml").read_text()
    service = yaml.safe_load(text)["services"]["search"]
    assert service["ports"] == ["0.0.0.0:8000:8080"]
    assert service["environment"]["CHAINS_API_KEY"].startswith("${CHAINS_API_KEY:?")
    assert "Published on 0.0.0.0: set CHAINS_API_KEY in .env first" in text
    v6 = built(tmp_path, capsys, "--publish", "::", name="v6")
    assert yaml.safe_load((v6 / "docker-compose.yaml").read_text())["services"]["search"][
        "ports"
    ] == ["[::]:8000:8080"]


def test_compose_stops_without_an_api_key_when_published_beyond_loopback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    compose = require_tool("docker-compose", "/usr/bin/docker-compose")
    out = built(tmp_path, capsys, "--publish", "0.0.0.0")
    (out / "secrets").mkdir()
    (out / "secrets" / "hf_access_token").write_text("x")
    env = {"PATH": "/usr/bin:/bin"}
    result = run([compose, "config", "-q"], cwd=out, env=env)
    assert result.returncode != 0
    assert "set CHAINS_API_KEY in .env" in result.stderr
    # With the key in .env, and the token chains-build wrote, the file is complete.
    with (out / ".env").open("a") as stream:
        stream.write("CHAINS_API_KEY=secret-key\n")
    result = run([compose, "config", "-q"], cwd=out, env=env)
    assert result.returncode == 0, result.stderr


def test_a_server_that_downloads_weights_passes_ruff_and_mypy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = built(tmp_path, capsys)
    folder = out / "Embed"
    root = Path(__file__).resolve().parent.parent
    ruff = run(
        [sys.executable, "-m", "ruff", "check", "--config", str(root / "pyproject.toml"),
         "--no-cache", "chainlet_server.py"],
        cwd=folder,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
         "--cache-dir", os.devnull, "chainlet_server.py"],
        cwd=folder,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_dockerfiles_with_build_commands_and_weights_pass_hadolint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = CHAIN.replace(
        "            compute=chains.Compute(gpu=\"H100\"),\n",
        "            compute=chains.Compute(gpu=\"H100\"),\n"
        "            build_commands=[\"mkdir -p $HF_HOME  # a comment\", \"echo ok > /tmp/x\"],\n",
    )
    chain = write(tmp_path / "src", "chain.py", text)
    out = tmp_path / "out"
    assert build(capsys, chain, "-o", out)[0] == 0
    dockerfile = out / "Embed" / "Dockerfile"
    content = dockerfile.read_text()
    assert 'RUN ["/bin/sh", "-c", "{ mkdir -p $HF_HOME  # a comment\\n} && find /home/chains' in (
        content
    )
    assert "RUN ( echo ok > /tmp/x ) \\\n    && find /home/chains -xdev" in content
    hadolint = require_tool("hadolint")
    result = run([hadolint, "--no-color", "--failure-threshold", "error", str(dockerfile)],
                 cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
