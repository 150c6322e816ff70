"""Fixtures shared by test modules of more than one area."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.deploy_helpers import require_docker
from tests.e2e.compose_chain import BASE_IMAGE
from tests.server_helpers import ServedChainlets


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
