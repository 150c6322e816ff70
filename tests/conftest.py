"""Fixtures shared by test modules of more than one area."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from chains_runtime.chainlet import ChainletBase
from chains_runtime.server import ServerConfig

from tests.deploy_helpers import require_docker
from tests.e2e.compose_chain import BASE_IMAGE
from tests.server_helpers import ServedChainlets, ThreadedServer


@pytest.fixture
def chainlets() -> Iterator[ServedChainlets]:
    """Chainlet server processes for one test, all stopped when it ends."""
    group = ServedChainlets()
    try:
        yield group
    finally:
        group.stop_all()


@pytest.fixture
def docker_client() -> Iterator[Any]:
    """A Docker SDK client of a daemon that has the local base image (see ``require_docker``)."""
    client = require_docker(BASE_IMAGE)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture
def serve() -> Iterator[Callable[..., httpx.Client]]:
    """``serve(ChainletClass, **server_config)``: the class served by a real uvicorn in a thread,
    and a client of it; servers stop and clients close when the test ends."""
    servers: list[ThreadedServer] = []
    clients: list[httpx.Client] = []

    def start(chainlet_cls: type[ChainletBase], **config: Any) -> httpx.Client:
        server = ThreadedServer(chainlet_cls, ServerConfig(**config))
        servers.append(server)
        client = httpx.Client(base_url=server.url, timeout=10)
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.close()
    for server in servers:
        server.stop()
