"""Kubernetes manifests: valid for kubernetes-validate --strict, wired the way the runtime reads
it, resources and GPUs where the scheduler looks, probes that hit a real server's endpoints."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from chains_runtime.wiring import parse_wiring

from chains_build.errors import BuildError
from chains_build.instance_types import GPU_MODELS
from chains_build.k8s import render_manifests
from chains_build.plan import APP_UID, ChainPlan, Resources
from chains_build.runtime_contract import STARTUP_GRACE_SECONDS
from tests.build_helpers import build, gpu_project
from tests.deploy_helpers import (
    EXAMPLE_CHAINS,
    build_example,
    chain,
    chainlet,
    free_port,
    hello_chain,
    require_tool,
    run,
    serve,
    wait_for,
    write_chain_file,
)

Manifest = dict[str, Any]


def full_chain() -> ChainPlan:
    """Every branch: GPU and CPU, secrets, environment, a data folder, a shared dependency."""
    return chain(
        chainlet(
            "Pipeline",
            entrypoint=True,
            dependencies=("Embed", "Rerank"),
            env=(("LOG_LEVEL", "debug"), ("THRESHOLD", "0.5")),
            secret_keys=("api_token",),
        ),
        chainlet(
            "Embed",
            dependencies=("Rerank",),
            secret_keys=("api_token", "hf_access_token"),
            resources=Resources("8", "80Gi", "H100", 1, "instance_type H100:8x80"),
            data_dir="weights",
        ),
        chainlet("Rerank", display_name="Re-rank", predict_concurrency=8),
        name="Search Pipeline",
    )


def manifests(plan: ChainPlan) -> dict[str, list[Manifest]]:
    return {
        name: [doc for doc in yaml.safe_load_all(text) if doc is not None]
        for name, text in render_manifests(plan).items()
    }


def objects(plan: ChainPlan, slug: str) -> tuple[Manifest, Manifest, Manifest]:
    config_map, deployment, service = manifests(plan)[f"{slug}.yaml"]
    return config_map, deployment, service


def container_of(deployment: Manifest) -> Manifest:
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


def env_of(deployment: Manifest) -> dict[str, Any]:
    return {item["name"]: item for item in container_of(deployment)["env"]}


def test_one_file_per_chainlet_with_its_config_map_deployment_and_service() -> None:
    found = manifests(full_chain())
    assert list(found) == ["pipeline.yaml", "embed.yaml", "re-rank.yaml"]
    for name, documents in found.items():
        slug = name.removesuffix(".yaml")
        kinds = [(doc["apiVersion"], doc["kind"], doc["metadata"]["name"]) for doc in documents]
        assert kinds == [
            ("v1", "ConfigMap", f"{slug}-wiring"),
            ("apps/v1", "Deployment", slug),
            ("v1", "Service", slug),
        ]


@pytest.mark.parametrize(
    "plan", [full_chain(), hello_chain(), chain(chainlet("E", entrypoint=True))]
)
def test_every_manifest_passes_kubernetes_validate_strict(plan: ChainPlan, tmp_path: Path) -> None:
    validate = require_tool("kubernetes-validate")
    paths = []
    for name, text in render_manifests(plan).items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        paths.append(str(path))
    result = run([validate, "--strict", *paths], cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = [line for line in result.stdout.splitlines() if " passed for resource " in line]
    assert len(passed) == 3 * len(plan.chainlets), result.stdout


def test_the_wiring_file_is_what_the_runtime_reads() -> None:
    plan = full_chain()
    config_map, deployment, _ = objects(plan, "embed")
    container = container_of(deployment)
    config_path = PurePosixPath(env_of(deployment)["CHAINS_CONFIG_FILE"]["value"])
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == str(config_path.parent)]
    volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
    assert volumes[mount["name"]]["configMap"]["name"] == config_map["metadata"]["name"]
    wiring = parse_wiring(
        config_map["data"][config_path.name], environ={"CHAINS_SERVICE_TOKEN": "t"}
    )
    assert wiring.chainlet == "Embed"
    assert not wiring.is_entrypoint
    assert wiring.dependencies == {"Rerank": "http://re-rank:8080"}
    assert wiring.data_dir == Path("/app/weights")
    secrets_mount = [m for m in container["volumeMounts"] if m["name"] == "secrets"]
    assert [m["mountPath"] for m in secrets_mount] == [str(wiring.secrets_dir)]
    rerank = parse_wiring(
        objects(plan, "re-rank")[0]["data"]["config.json"], environ={"CHAINS_SERVICE_TOKEN": "t"}
    )
    assert rerank.predict_concurrency == 8
    assert rerank.chainlet == "Rerank"


def test_dependency_urls_are_service_dns_names() -> None:
    by_service = {docs[2]["metadata"]["name"]: docs for docs in manifests(full_chain()).values()}
    urls = 0
    for config_map, _, _ in by_service.values():
        for url in json.loads(config_map["data"]["config.json"])["dependencies"].values():
            parts = urlsplit(url)
            _, deployment, service = by_service[parts.hostname]
            (port,) = service["spec"]["ports"]
            assert port["port"] == parts.port
            # The Service reaches the container port by its name.
            (container_port,) = container_of(deployment)["ports"]
            assert port["targetPort"] == container_port["name"]
            urls += 1
    assert urls == 3


def test_selectors_pick_exactly_the_chainlet_pods() -> None:
    plan = full_chain()
    seen = set()
    for documents in manifests(plan).values():
        _, deployment, service = documents
        match = deployment["spec"]["selector"]["matchLabels"]
        template = deployment["spec"]["template"]["metadata"]["labels"]
        assert match.items() <= template.items()
        assert service["spec"]["selector"] == match
        assert template["app.kubernetes.io/part-of"] == "search-pipeline"
        assert service["spec"]["type"] == "ClusterIP"
        seen.add(tuple(sorted(match.items())))
    assert len(seen) == len(plan.chainlets)
    assert objects(plan, "pipeline")[1]["metadata"]["labels"]["app.kubernetes.io/component"] == (
        "entrypoint"
    )


def test_cpu_and_memory_requests_equal_limits_and_gpus_are_limits_only() -> None:
    plan = full_chain()
    cpu = container_of(objects(plan, "pipeline")[1])["resources"]
    assert cpu == {
        "requests": {"cpu": "1", "memory": "2Gi", "ephemeral-storage": "2Gi"},
        "limits": {"cpu": "1", "memory": "2Gi"},
    }
    gpu = container_of(objects(plan, "embed")[1])["resources"]
    assert gpu["requests"] == {"cpu": "8", "memory": "80Gi", "ephemeral-storage": "2Gi"}
    assert gpu["limits"] == {"cpu": "8", "memory": "80Gi", "nvidia.com/gpu": 1}


def test_a_gpu_chainlet_runs_only_on_nodes_with_its_gpu() -> None:
    default = full_chain()
    # By default only the nvidia.com/gpu limit places it (no feature-discovery label needed).
    assert "affinity" not in objects(default, "embed")[1]["spec"]["template"]["spec"]
    deploy = dataclasses.replace(default.deploy, gpu_node_label="nvidia.com/gpu.product")
    plan = dataclasses.replace(default, deploy=deploy)
    _, deployment, _ = objects(plan, "embed")
    pod = deployment["spec"]["template"]["spec"]
    terms = pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    (term,) = terms["nodeSelectorTerms"]
    (expression,) = term["matchExpressions"]
    h100 = next(model for model in GPU_MODELS if model.name == "H100")
    assert expression == {
        "key": "nvidia.com/gpu.product",
        "operator": "In",
        "values": list(h100.node_products),
    }
    assert pod["tolerations"] == [
        {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
    ]
    assert deployment["spec"]["strategy"]["rollingUpdate"] == {"maxSurge": 0, "maxUnavailable": 1}
    cpu_only = objects(plan, "pipeline")[1]
    assert "affinity" not in cpu_only["spec"]["template"]["spec"]
    assert "tolerations" not in cpu_only["spec"]["template"]["spec"]
    assert "strategy" not in cpu_only["spec"]


def test_probes_give_model_loading_time_and_use_the_runtime_endpoints() -> None:
    container = container_of(objects(full_chain(), "embed")[1])
    startup = container["startupProbe"]
    assert startup["httpGet"] == {"path": "/readyz", "port": "http"}
    assert startup["periodSeconds"] * startup["failureThreshold"] >= STARTUP_GRACE_SECONDS
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"


def test_secrets_come_from_secrets_by_reference_only() -> None:
    plan = full_chain()
    _, entry, _ = objects(plan, "pipeline")
    env = env_of(entry)
    assert env["CHAINS_SERVICE_TOKEN"]["valueFrom"] == {
        "secretKeyRef": {"name": "search-pipeline-service-token", "key": "token"}
    }
    assert env["CHAINS_API_KEY"]["valueFrom"] == {
        "secretKeyRef": {"name": "search-pipeline-api-key", "key": "api-key", "optional": True}
    }
    assert env["LOG_LEVEL"] == {"name": "LOG_LEVEL", "value": "debug"}
    _, embed, _ = objects(plan, "embed")
    assert "CHAINS_API_KEY" not in env_of(embed)
    volumes = {v["name"]: v for v in embed["spec"]["template"]["spec"]["volumes"]}
    assert volumes["secrets"]["secret"] == {
        "secretName": "search-pipeline-secrets",
        "items": [
            {"key": "api_token", "path": "api_token"},
            {"key": "hf_access_token", "path": "hf_access_token"},
        ],
        "defaultMode": 0o440,
    }
    _, rerank, _ = objects(plan, "re-rank")
    assert "secrets" not in {v["name"] for v in rerank["spec"]["template"]["spec"]["volumes"]}
    alone = objects(chain(chainlet("Echo", entrypoint=True)), "echo")[1]
    assert "CHAINS_SERVICE_TOKEN" not in env_of(alone)
    text = "".join(render_manifests(plan).values())
    assert "kind: Secret\n" not in text


def test_pods_run_as_the_image_user_without_privileges() -> None:
    for documents in manifests(full_chain()).values():
        pod = documents[1]["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["runAsUser"] == APP_UID
        assert pod["securityContext"]["fsGroup"] == APP_UID
        assert pod["automountServiceAccountToken"] is False
        container = pod["containers"][0]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_output_is_deterministic() -> None:
    assert render_manifests(full_chain()) == render_manifests(full_chain())


def test_a_reserved_variable_in_env_variables_is_a_build_error() -> None:
    plan = chain(chainlet("Echo", entrypoint=True, env=(("CHAINS_CONFIG_FILE", "/x"),)))
    with pytest.raises(BuildError, match="`CHAINS_CONFIG_FILE`"):
        render_manifests(plan)


def test_the_wiring_and_probes_work_against_a_real_chainlet(tmp_path: Path) -> None:
    port = free_port()
    plan = chain(
        chainlet("Entry", entrypoint=True, dependencies=("Greeter",)),
        chainlet("Greeter", port=port),
    )
    config_map, deployment, _ = objects(plan, "greeter")
    config = tmp_path / "config.json"
    config.write_text(config_map["data"]["config.json"], encoding="utf-8")
    container = container_of(deployment)
    base = f"http://127.0.0.1:{port}"
    environment = {"CHAINS_CONFIG_FILE": str(config), "CHAINS_SERVICE_TOKEN": "s3cret"}
    with serve(write_chain_file(tmp_path), "Greeter", port, environment) as process:

        def probe_ok(probe: str) -> bool:
            try:
                path = container[probe]["httpGet"]["path"]
                return httpx.get(base + path, timeout=2).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(lambda: probe_ok("startupProbe"), "the startup probe to pass")
        assert probe_ok("readinessProbe")
        assert probe_ok("livenessProbe")
        assert process.poll() is None
        answer = httpx.post(
            f"{base}/run_remote", json={"name": "Ada"}, headers={"x-chains-service-token": "s3cret"}
        )
        assert answer.json() == "Hello, Ada"


@pytest.mark.parametrize("example", EXAMPLE_CHAINS)
def test_the_examples_manifests_pass_kubernetes_validate(example: str, tmp_path: Path) -> None:
    validate = require_tool("kubernetes-validate")
    out = build_example(example, tmp_path / "out")
    files = sorted(str(path) for path in (out / "k8s").glob("*.yaml"))
    contexts = sorted(p.name for p in out.iterdir() if (p / "Dockerfile").is_file())
    assert len(files) == len(contexts)
    result = run([validate, "--strict", *files], cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in files:
        config_map, deployment, _ = yaml.safe_load_all(Path(path).read_text(encoding="utf-8"))
        wiring = parse_wiring(
            config_map["data"]["config.json"], environ={"CHAINS_SERVICE_TOKEN": "t"}
        )
        image = container_of(deployment)["image"]
        assert image.startswith(f"chains/{deployment['metadata']['name']}:")
        assert wiring.chainlet


def test_a_gpu_chain_sized_by_instance_types_passes_kubernetes_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    label = ("--gpu-node-label", "nvidia.com/gpu.product")
    assert build(capsys, gpu_project(tmp_path / "src"), "-o", out, *label)[0] == 0
    files = sorted(str(path) for path in (out / "k8s").glob("*.yaml"))
    result = run([require_tool("kubernetes-validate"), "--strict", *files], cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count(" passed for resource ") == 3 * len(files) == 6, result.stdout
    deployments = {
        document["metadata"]["name"]: document
        for path in files
        for document in yaml.safe_load_all(Path(path).read_text(encoding="utf-8"))
        if document["kind"] == "Deployment"
    }
    # "H100:2x16x160": 16 CPUs, 160 GiB and two H100s, on nodes that have H100s.
    embed = deployments["embed"]
    assert container_of(embed)["resources"] == {
        "requests": {"cpu": "16", "memory": "160Gi", "ephemeral-storage": "2Gi"},
        "limits": {"cpu": "16", "memory": "160Gi", "nvidia.com/gpu": 2},
    }
    (term,) = embed["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][
        "requiredDuringSchedulingIgnoredDuringExecution"
    ]["nodeSelectorTerms"]
    assert term["matchExpressions"][0]["values"] == list(
        next(model for model in GPU_MODELS if model.name == "H100").node_products
    )
    assert container_of(deployments["search"])["resources"]["limits"] == {
        "cpu": "4", "memory": "16Gi", "nvidia.com/gpu": 1,
    }
