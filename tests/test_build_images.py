"""Real images and a real registry, where a Docker daemon with the local base image is present.

The base is the one the CI of the example chains builds (Debian bookworm minbase with python3,
python3-venv, python3-pip and ca-certificates; scripts/setup-docker.sh). Without it, or
without a daemon, these tests skip, except under ``CI=true``, where they fail. The images are
tagged by content, so a second run reuses them. ``--push`` goes to Debian's docker-registry
(the CNCF distribution registry) on loopback, which the daemon may reach over plain HTTP.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from docker.errors import ImageNotFound

from tests.build_helpers import HELLO_CHAIN, build_process, write
from tests.deploy_helpers import free_port, require_tool, wait_for
from tests.e2e.compose_chain import BASE_IMAGE

MANIFEST_TYPES = ", ".join(
    [
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
    ]
)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[str]:
    """A registry on ``127.0.0.1:<free port>`` storing into tmp_path; its ``host:port``."""
    binary = require_tool("docker-registry", "/usr/bin/docker-registry")
    host = f"127.0.0.1:{free_port()}"
    config = tmp_path / "registry.yml"
    config.write_text(
        "version: 0.1\n"
        "log:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {tmp_path / 'registry-data'}\n"
        f"http:\n  addr: {host}\n",
        encoding="utf-8",
    )
    # The registry reads REGISTRY_* variables over its configuration file: none of ours.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
    log_path = tmp_path / "registry.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [binary, "serve", str(config)],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:

            def answers() -> bool:
                if process.poll() is not None:
                    pytest.fail(f"docker-registry exited: {log_path.read_text()[-2000:]}")
                try:
                    return httpx.get(f"http://{host}/v2/", timeout=1).status_code == 200
                except httpx.TransportError:
                    return False

            wait_for(answers, f"docker-registry on {host}")
            yield host
        finally:
            process.kill()
            process.wait(timeout=10)


def test_built_images_run_the_chainlet_as_a_non_root_user(
    tmp_path: Path, docker_client: Any
) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    out = tmp_path / "out"
    done = build_process(chain, "-o", out, "--base-image", BASE_IMAGE, "--images", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[say-hello] Successfully tagged" in done.stderr
    plan = json.loads((out / "chain.json").read_text())
    images = {c["class_name"]: c["image"] for c in plan["chainlets"]}
    # docker-compose.yaml and the Kubernetes manifests name exactly the images built.
    services, deployments = _deployed_images(out)
    assert services == deployments == sorted(images.values())
    for image in images.values():
        docker_client.images.get(image)
    image_name = images["SayHello"]
    config = docker_client.images.get(image_name).attrs["Config"]
    assert config["User"] == "10001:10001"
    assert "8080/tcp" in config["ExposedPorts"]
    assert "/healthz" in " ".join(config["Healthcheck"]["Test"])
    container = docker_client.containers.run(
        image_name,
        detach=True,
        environment={"CHAINS_CONFIG": '{"chainlet": "SayHello"}', "CHAINS_SERVICE_TOKEN": "t"},
    )
    try:
        probe = (
            "import urllib.request as r; "
            "print(r.urlopen('http://127.0.0.1:8080/readyz', timeout=2).status)"
        )
        deadline = time.monotonic() + 60
        while True:
            result = container.exec_run(["python3", "-c", probe])
            if result.exit_code == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert result.exit_code == 0, container.logs().decode()[-2000:]
        assert result.output.decode().strip() == "200"
        assert container.exec_run(["id", "-u"]).output.decode().strip() == "10001"
    finally:
        container.remove(force=True)


def _images(out: Path) -> list[str]:
    """The images chain.json lists (none when the build wrote nothing)."""
    if not (out / "chain.json").is_file():
        return []
    document = json.loads((out / "chain.json").read_text(encoding="utf-8"))
    return [chainlet["image"] for chainlet in document["chainlets"]]


def _untag(client: Any, out: Path) -> None:
    """Remove the registry's names of the images chain.json lists; the layers stay cached."""
    for image in _images(out):
        with contextlib.suppress(ImageNotFound):
            client.images.remove(image, noprune=True)


def _deployed_images(out: Path) -> tuple[list[str], list[str]]:
    """The images docker-compose.yaml and the Kubernetes Deployments name, sorted."""
    compose = yaml.safe_load((out / "docker-compose.yaml").read_text(encoding="utf-8"))
    services = sorted(service["image"] for service in compose["services"].values())
    deployments = sorted(
        container["image"]
        for path in (out / "k8s").glob("*.yaml")
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8"))
        if document["kind"] == "Deployment"
        for container in document["spec"]["template"]["spec"]["containers"]
    )
    return services, deployments


def test_push_puts_every_image_into_the_registry_under_the_tags_the_deploy_files_name(
    tmp_path: Path, docker_client: Any, registry: str
) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    out = tmp_path / "out"
    target = f"{registry}/team"
    done = build_process(
        chain, "-o", out, "--base-image", BASE_IMAGE, "--push", target, cwd=tmp_path
    )
    try:
        assert done.returncode == 0, done.stderr[-3000:]
        pushed = _images(out)
        assert f"[say-hello] pushing {target}/chains/say-hello:" in done.stderr
        services, deployments = _deployed_images(out)
        assert services == deployments == sorted(pushed)
        expected = {}
        for image in pushed:
            repository, _, tag = image.rpartition(":")
            assert repository.startswith(f"{target}/chains/") and len(tag) == 12
            expected[repository.removeprefix(f"{registry}/")] = tag
        api = f"http://{registry}/v2"
        catalog = httpx.get(f"{api}/_catalog", timeout=10).json()
        assert catalog == {"repositories": sorted(expected)}
        for name, tag in expected.items():
            tags = httpx.get(f"{api}/{name}/tags/list", timeout=10).json()
            assert tags == {"name": name, "tags": [tag]}
            # The registry holds the very image that was built: the same manifest digest.
            manifest = httpx.head(
                f"{api}/{name}/manifests/{tag}", headers={"Accept": MANIFEST_TYPES}, timeout=10
            )
            assert manifest.status_code == 200
            digest = manifest.headers["Docker-Content-Digest"]
            local = docker_client.images.get(f"{registry}/{name}:{tag}")
            assert f"{registry}/{name}@{digest}" in local.attrs["RepoDigests"]
    finally:
        _untag(docker_client, out)


def test_a_push_to_a_registry_that_does_not_answer_is_a_one_line_error(
    tmp_path: Path, docker_client: Any
) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    out = tmp_path / "out"
    target = f"127.0.0.1:{free_port()}/team"  # nothing listens there
    done = build_process(
        chain, "-o", out, "--base-image", BASE_IMAGE, "--push", target, cwd=tmp_path
    )
    try:
        assert done.returncode == 1, done.stderr[-3000:]
        errors = [line for line in done.stderr.splitlines() if "error" in line.lower()]
        assert len(errors) == 1, done.stderr[-3000:]
        assert errors[0].startswith(f"chains-build: error: pushing {target}/chains/")
        registry = target.split("/")[0]
        assert errors[0].endswith(f"check that {registry} answers and that `docker login "
                                  f"{registry}` was done")
        assert "Traceback" not in done.stderr
    finally:
        _untag(docker_client, out)
