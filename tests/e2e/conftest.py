"""Fixtures of the end-to-end tests: Docker must be usable, and each chain is built once.

Outside CI a missing Docker (CLI, docker-compose 1.29, daemon or the local base image) skips
these tests with the reason; with ``CI=true`` it fails them (``missing``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.deploy_helpers import compose_v1, missing, require_tool
from tests.e2e.compose_chain import BuiltChain, build_chain, docker_problem, free_port

BuildOnce = Callable[[Path], BuiltChain]


@pytest.fixture(scope="session")
def docker_ready() -> None:
    """Docker can build and run chains here; otherwise skip (fail under ``CI=true``)."""
    require_tool("docker")
    compose_v1()
    problem = docker_problem()
    if problem is not None:
        missing(problem)


@pytest.fixture(scope="session")
def build_once(docker_ready: None, tmp_path_factory: pytest.TempPathFactory) -> BuildOnce:
    """``build_once(chain_file)``: the chain built into images, once per test session, each
    published on a host port of its own (so that several can run at once)."""
    built: dict[Path, BuiltChain] = {}
    workdir = tmp_path_factory.mktemp("e2e")

    def unused_port() -> int:
        taken = {chain.host_port for chain in built.values()}
        while (port := free_port()) in taken:
            pass
        return port

    def build(chain_file: Path) -> BuiltChain:
        key = chain_file.resolve()
        if key not in built:
            out = workdir / f"{key.parent.name}-{len(built)}"
            built[key] = build_chain(key, out, host_port=unused_port())
        return built[key]

    return build
