"""A real image from the local base: the Python chain.json names and the locked packages are
what the image really has, and uv is gone from it.

Needs a Docker daemon with the local base image (scripts/setup-docker.sh; skipped without one,
failed under ``CI=true``) and PyPI, which ``chains-build lock`` and the image build read.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.build_helpers import HELLO_CHAIN, build_process, write
from tests.e2e.compose_chain import BASE_IMAGE

_PROBE = """
import importlib.metadata, json, os, shutil, sys
print(json.dumps({
    "python": f"{sys.version_info[0]}.{sys.version_info[1]}",
    "prefix": sys.prefix,
    "packages": {d.metadata["Name"].lower().replace("_", "-"): d.version
                 for d in importlib.metadata.distributions()},
    "uv": shutil.which("uv"),
}))
"""


def test_the_image_has_the_python_chain_json_names_and_exactly_the_locked_packages(
    tmp_path: Path, docker_client: Any
) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    python = (
        docker_client.containers.run(
            BASE_IMAGE,
            ["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            remove=True,
        )
        .decode()
        .strip()
    )
    locked = build_process("lock", chain, "--python", python, cwd=tmp_path)
    assert locked.returncode == 0, locked.stderr[-3000:]
    out = tmp_path / "out"
    done = build_process(
        chain, "-o", out, "--python", python, "--base-image", BASE_IMAGE, "--images", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads((out / "chain.json").read_text())
    chainlet = next(c for c in document["chainlets"] if c["class_name"] == "SayHello")
    assert chainlet["locked"] is True
    output = docker_client.containers.run(
        chainlet["image"], ["python3", "-c", _PROBE], remove=True
    ).decode()
    found = json.loads(output)
    assert found["python"] == chainlet["python"]["version"] == document["python_version"]
    assert chainlet["python"]["executable"] == f"{found['prefix']}/bin/python"
    assert found["uv"] is None  # uv made the environment and was removed
    lock = (tmp_path / "src" / "chains-lock" / "SayHello.txt").read_text().splitlines()
    pins = dict(line.split("==", 1) for line in lock if line and not line.startswith(("#", " ")))
    for name, version in pins.items():
        assert found["packages"].get(name) == version, name
