"""Fixtures shared by test modules of more than one area."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.server_helpers import ServedChainlets


@pytest.fixture
def chainlets() -> Iterator[ServedChainlets]:
    """Chainlet server processes for one test, all stopped when it ends."""
    group = ServedChainlets()
    try:
        yield group
    finally:
        group.stop_all()
