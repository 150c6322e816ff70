"""Deployments that would not hold on a real cluster, or expose the entrypoint (review of
issue 10): real chain files built with ``chains-build``, the written files read back, and the
compose entrypoint's Host check run in a real server.

- Compose publishes the entrypoint on loopback with the API key optional: it gets
  ``CHAINS_ALLOWED_HOSTS`` so a DNS-rebound name is refused, while its healthcheck (127.0.0.1
  inside the container) and its service name still work.
- An Ingress publishes it on the internet: the API-key Secret is required.
- A CPU HPA on a chain with a GPU chainlet, a ReadWriteMany weights claim without a storage
  class, and KEDA without a namespace are one-line errors naming the flag.
- An autoscaled Deployment has no ``replicas`` (the autoscaler owns them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.build_helpers import build, write
from tests.deploy_helpers import require_tool, run
from tests.server_helpers import free_port

Manifest = dict[str, Any]

CPU_CHAIN = """
    import truss_chains as chains


    class Worker(chains.ChainletBase):
        async def run_remote(self, text: str) -> int:
            return len(text)


    @chains.mark_entrypoint("Front")
    class Front(chains.ChainletBase):
        def __init__(self, worker: Worker = chains.depends(Worker)) -> None:
            self._worker = worker

        async def run_remote(self, text: str) -> int:
            return await self._worker.run_remote(text)
"""

GPU_CHAIN = """
    import truss_chains as chains


    @chains.mark_entrypoint("Front")
    class Front(chains.ChainletBase):
        remote_config = chains.RemoteConfig(
            docker_image=chains.DockerImage(pip_requirements=["huggingface_hub"]),
            compute=chains.Compute(gpu="L4"),
            assets=chains.Assets(
                weights=[chains.WeightsSource(source="hf://org/m@v1", mount_location="/m")]
            ),
        )

        async def run_remote(self, text: str) -> int:
            return len(text)
"""


def build_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, *flags: str
) -> tuple[int, str, Path]:
    chain = write(tmp_path / "src", "chain.py", text)
    out = tmp_path / "out"
    status, _, stderr = build(capsys, chain, "-o", out, *flags)
    return status, stderr, out


def documents(out: Path, name: str) -> list[Manifest]:
    return [d for d in yaml.safe_load_all((out / "k8s" / name).read_text()) if d]


def of_kind(out: Path, name: str, kind: str) -> Manifest:
    (found,) = [d for d in documents(out, name) if d["kind"] == kind]
    return found


def validate(out: Path) -> None:
    paths = sorted(
        str(p) for p in (out / "k8s").glob("*.yaml") if not p.name.endswith(".keda.yaml")
    )
    result = run([require_tool("kubernetes-validate"), "--strict", *paths], cwd=out)
    assert result.returncode == 0, result.stdout + result.stderr


def one_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


# --- Kubernetes ----------------------------------------------------------------------------


def test_a_cpu_hpa_on_a_gpu_chain_is_refused_naming_keda(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stderr, out = build_chain(
        tmp_path, capsys, GPU_CHAIN, "--max-replicas", "3", "--storage-class", "efs"
    )
    assert status == 1
    line = one_line(stderr)
    assert "`Front` has a GPU" in line and "--autoscaler keda" in line
    assert not out.exists()


def test_a_cpu_chain_gets_an_hpa_and_its_deployment_leaves_replicas_to_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stderr, out = build_chain(
        tmp_path, capsys, CPU_CHAIN, "--replicas", "2", "--max-replicas", "5",
        "--target-cpu", "60",
    )
    assert status == 0, stderr
    validate(out)
    deployment = of_kind(out, "worker.yaml", "Deployment")
    assert "replicas" not in deployment["spec"]
    hpa = of_kind(out, "worker.yaml", "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 5)
    assert hpa["spec"]["metrics"][0]["resource"]["target"] == {
        "type": "Utilization", "averageUtilization": 60
    }
    # Not autoscaled: the Deployment keeps its replicas.
    status, stderr, fixed = build_chain(tmp_path / "fixed", capsys, CPU_CHAIN, "--replicas", "3")
    assert status == 0, stderr
    assert of_kind(fixed, "worker.yaml", "Deployment")["spec"]["replicas"] == 3


def test_a_shared_weights_claim_needs_a_storage_class(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stderr, out = build_chain(tmp_path, capsys, GPU_CHAIN, "--replicas", "2")
    assert status == 1
    line = one_line(stderr)
    assert "ReadWriteMany" in line and "--storage-class NAME" in line
    assert not out.exists()
    # One pod per replica, each with its own download, needs no class.
    status, stderr, out = build_chain(
        tmp_path / "e", capsys, GPU_CHAIN, "--replicas", "2", "--weights-volume", "emptydir"
    )
    assert status == 0, stderr
    volumes = of_kind(out, "front.yaml", "Deployment")["spec"]["template"]["spec"]["volumes"]
    assert {"name": "weights", "emptyDir": {"sizeLimit": "100Gi"}} in volumes
    # With a class: the claim is ReadWriteMany of that class.
    status, stderr, out = build_chain(
        tmp_path / "c", capsys, GPU_CHAIN, "--replicas", "2", "--storage-class", "filestore"
    )
    assert status == 0, stderr
    validate(out)
    claim = of_kind(out, "front.yaml", "PersistentVolumeClaim")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["storageClassName"] == "filestore"


def test_keda_needs_the_namespace_its_query_filters_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stderr, out = build_chain(
        tmp_path, capsys, GPU_CHAIN, "--max-replicas", "3", "--autoscaler", "keda",
        "--storage-class", "efs",
    )
    assert status == 2
    assert "--namespace NAME" in one_line(stderr)
    status, stderr, out = build_chain(
        tmp_path / "ns", capsys, GPU_CHAIN, "--max-replicas", "3", "--autoscaler", "keda",
        "--storage-class", "efs", "--namespace", "ml",
    )
    assert status == 0, stderr
    validate(out)
    (scaled,) = documents(out, "front.keda.yaml")
    query = scaled["spec"]["triggers"][0]["metadata"]["query"]
    assert query == 'sum(chains_requests_in_flight{namespace="ml",chainlet="Front"})'
    assert "replicas" not in of_kind(out, "front.yaml", "Deployment")["spec"]


def api_key_reference(out: Path) -> Manifest:
    pod = of_kind(out, "front.yaml", "Deployment")["spec"]["template"]["spec"]
    (env,) = [e for e in pod["containers"][0]["env"] if e["name"] == "CHAINS_API_KEY"]
    reference: Manifest = env["valueFrom"]["secretKeyRef"]
    return reference


def test_an_ingress_makes_the_api_key_required(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stderr, internal = build_chain(tmp_path, capsys, CPU_CHAIN)
    assert status == 0, stderr
    optional = {"name": "front-api-key", "key": "api-key", "optional": True}
    assert api_key_reference(internal) == optional
    status, stderr, public = build_chain(
        tmp_path / "public", capsys, CPU_CHAIN, "--ingress-host", "front.example.com"
    )
    assert status == 0, stderr
    validate(public)
    assert api_key_reference(public) == {"name": "front-api-key", "key": "api-key"}
    text = (public / "k8s" / "front.yaml").read_text()
    assert "Needs the Secret front-api-key" in text
    # The Ingress routes only its host: other Host names never reach the pod.
    ingress = of_kind(public, "front.yaml", "Ingress")
    assert [rule["host"] for rule in ingress["spec"]["rules"]] == ["front.example.com"]


# --- Compose: the entrypoint's Host check ---------------------------------------------------


def compose_service(out: Path, slug: str) -> Manifest:
    services: Manifest = yaml.safe_load((out / "docker-compose.yaml").read_text())["services"]
    service: Manifest = services[slug]
    return service


def test_beyond_loopback_compose_sets_no_host_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, stderr, out = build_chain(tmp_path, capsys, CPU_CHAIN, "--publish", "0.0.0.0")
    assert status == 0, stderr
    assert "CHAINS_ALLOWED_HOSTS" not in compose_service(out, "front")["environment"]
    # Only the entrypoint is published: internal chainlets keep theirs unset too.
    assert "CHAINS_ALLOWED_HOSTS" not in compose_service(out, "worker")["environment"]


@pytest.fixture
def served_entrypoint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Iterator[tuple[str, int, Manifest]]:
    """The entrypoint's generated server run as its container runs it (bound to 0.0.0.0) with
    the environment docker-compose.yaml gives it; (base URL, port, compose service)."""
    status, stderr, out = build_chain(tmp_path, capsys, CPU_CHAIN)
    assert status == 0, stderr
    service = compose_service(out, "front")
    environment = {
        name: str(value).replace("$$", "$")
        for name, value in service["environment"].items()
        if value is not None and not str(value).startswith("${")
    }
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}
    env.update(environment)
    env["CHAINS_SERVICE_TOKEN"] = "t" * 32
    context = out / "Front"
    process = subprocess.Popen(
        [sys.executable, "chainlet_server.py", "--host", "0.0.0.0", "--port", str(port)],
        cwd=context,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise AssertionError(f"server did not start: {process.communicate()[1]}")
            time.sleep(0.1)
        yield url, port, service
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_loopback_published_entrypoint_refuses_rebound_names(
    served_entrypoint: tuple[str, int, Manifest],
) -> None:
    url, port, service = served_entrypoint
    hosts = service["environment"]["CHAINS_ALLOWED_HOSTS"]
    assert hosts == "localhost,127.0.0.1,::1,front"
    # A page that rebinds its own name to 127.0.0.1: its Host is refused.
    rebound = httpx.get(f"{url}/readyz", headers={"host": f"rebind.example:{port}"})
    assert rebound.status_code == 400
    assert rebound.json()["error"]["type"] == "HostNotAllowed"
    # The published port (localhost / 127.0.0.1) and the service name still work.
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", "front:8080", f"[::1]:{port}"):
        answer = httpx.get(f"{url}/readyz", headers={"host": host})
        assert answer.status_code == 200, (host, answer.text)
    # The compose healthcheck, run as written (against this port), passes.
    script = service["healthcheck"]["test"][3].replace("$$", "$")
    script = script.replace("127.0.0.1:8080/", f"127.0.0.1:{port}/")
    check = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert check.returncode == 0, check.stderr


def test_the_dockerfile_leaves_hf_hub_cache_to_hf_home(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What build commands download into $HF_HOME/hub stays where from_pretrained looks; the
    volume's hub cache is given to the weights download only."""
    chain = GPU_CHAIN.replace(
        'chains.WeightsSource(source="hf://org/m@v1", mount_location="/m")',
        "chains.WeightsSource(source=\"hf://org/m@v1\", mount_location=\"/m\")],\n"
        "                cached=[chains.ModelRepo(repo_id=\"org/t\", revision=\"v1\", "
        "use_volume=False)",
    )
    status, stderr, out = build_chain(tmp_path, capsys, chain)
    assert status == 0, stderr
    dockerfile = (out / "Front" / "Dockerfile").read_text()
    assert "HF_HUB_CACHE" not in dockerfile
    server = (out / "Front" / "chainlet_server.py").read_text()
    block = server[server.index("WEIGHTS = [") : server.index('"""Assets(cached')]
    namespace: dict[str, Any] = {}
    exec(block, namespace)
    (hub,) = [item for item in namespace["WEIGHTS"] if item["hub_cache"]]
    assert hub["target"] == "/app/model_cache/huggingface/hub"
    assert json.loads(json.dumps(hub))["source"] == "org/t"
