"""Real images, where a Docker daemon and a local base image with python3 are present.

The base is the one the CI of the example chains builds (Debian bookworm minbase with python3,
python3-venv, python3-pip and ca-certificates); without it, or without a daemon, these tests
skip: building the base is that CI's job. The images are tagged by content, so a second run
reuses them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.build_helpers import HELLO_CHAIN, build_process, write

BASE_IMAGE = "chains-base:bookworm"


@pytest.fixture
def docker_client() -> Iterator[Any]:
    docker = pytest.importorskip("docker")
    try:
        client = docker.from_env()
        client.ping()
        client.images.get(BASE_IMAGE)
    except docker.errors.DockerException as exc:
        pytest.skip(f"no Docker daemon with the {BASE_IMAGE} image: {exc}")
    try:
        yield client
    finally:
        client.close()


def test_built_images_run_the_chainlet_as_a_non_root_user(
    tmp_path: Path, docker_client: Any
) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    out = tmp_path / "out"
    done = build_process(chain, "-o", out, "--base-image", BASE_IMAGE, "--images", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[say-hello] Successfully tagged" in done.stderr
    plan = json.loads((out / "chain.json").read_text())
    image_name = {c["class_name"]: c["image"] for c in plan["chainlets"]}["SayHello"]
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
