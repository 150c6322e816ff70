"""Headers of the dependency client: secret values never in an error, and a deadline budget
computed when the request is written (after waiting for a connection), over both transports."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import chains_runtime as chains
import httpx
import pytest
from chains_runtime.client import DependencyClient
from chains_runtime.client.connection import TransportError
from chains_runtime.client.httpx_transport import HttpxTransport, _mapped
from chains_runtime.client.pool import ConnectionPool
from chains_runtime.client.transport import TransportFactory
from chains_runtime.context import DEADLINE
from chains_runtime.errors import ChainsUsageError
from chains_runtime.protocol import DEADLINE_HEADER, SERVICE_TOKEN_HEADER
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.server_helpers import ThreadedUvicorn

SECRET = "SUPERSECRET"
BAD_VALUES = [
    f"{SECRET}\n",
    f"{SECRET}\r\nx-injected: 1",
    f"{SECRET}\x00",
    f"{SECRET}\x01",
    "\u20ac" + SECRET,
]
HOLD_SEC = 0.5
"""How long the endpoint keeps its connection busy before answering."""


async def _budget(request: Request) -> Response:
    await asyncio.sleep(HOLD_SEC)
    return JSONResponse(request.headers.get(DEADLINE_HEADER))


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadedUvicorn(
        Starlette(routes=[Route("/run_remote", _budget, methods=["POST"])]), lifespan="off"
    )
    try:
        yield server.url
    finally:
        server.stop()


def _messages(exc: BaseException) -> str:
    """The text of ``exc`` and of every exception it was raised from or during."""
    texts = []
    seen: BaseException | None = exc
    while seen is not None:
        texts.append(f"{type(seen).__name__}: {seen}")
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return "\n".join(texts)


# -- secret values never in an error --------------------------------------------------------


@pytest.mark.parametrize("token", BAD_VALUES)
def test_a_bad_service_token_is_refused_naming_the_header_only(token: str) -> None:
    with pytest.raises(ChainsUsageError) as caught:
        DependencyClient("Leaf", "http://127.0.0.1:9", service_token=token)
    assert SERVICE_TOKEN_HEADER in str(caught.value)
    assert SECRET not in _messages(caught.value)


@pytest.mark.parametrize("key", BAD_VALUES)
def test_a_stub_with_a_bad_api_key_is_refused_when_made(key: str) -> None:
    class Endpoint(chains.StubBase):
        pass

    with pytest.raises(ChainsUsageError) as caught:
        Endpoint.from_url("http://127.0.0.1:9/predict", api_key=key)
    assert "authorization" in str(caught.value)
    assert SECRET not in _messages(caught.value)


@pytest.mark.parametrize("transport", [ConnectionPool, HttpxTransport])
def test_a_bad_per_request_header_names_the_header_only(
    base_url: str, transport: TransportFactory
) -> None:
    async def go() -> None:
        client = DependencyClient("Leaf", base_url, transport=transport)
        try:
            with pytest.raises(ChainsUsageError) as caught:
                await client.call({}, request_id=f"{SECRET}\n")
            assert SECRET not in _messages(caught.value)
        finally:
            await client.aclose()

    asyncio.run(go())


def test_httpx_refusing_a_header_does_not_echo_its_value() -> None:
    """h11's own message quotes the value (``Illegal header value b'Api-Key ...'``)."""

    async def refused() -> None:
        raise httpx.LocalProtocolError(f"Illegal header value b'Api-Key {SECRET}\\n'")

    with pytest.raises(TransportError) as caught:
        asyncio.run(_mapped(refused(), 5.0))
    assert SECRET not in _messages(caught.value)


# -- the deadline budget is computed after waiting for a connection ---------------------------


def _two_queued_budgets(base_url: str, transport: TransportFactory) -> tuple[int, int]:
    """The budgets two concurrent calls sent over one connection (the second waited for it)."""

    async def go() -> tuple[int, int]:
        client = DependencyClient(
            "Leaf", base_url, concurrency_limit=1, retries=0, transport=transport
        )
        DEADLINE.set(time.monotonic() + 30.0)
        try:
            first = asyncio.ensure_future(client.call({}))
            await asyncio.sleep(0.1)  # the first holds the only connection now
            second = asyncio.ensure_future(client.call({}))
            budgets = await asyncio.wait_for(asyncio.gather(first, second), 20)
        finally:
            await client.aclose()
        return int(budgets[0]), int(budgets[1])

    return asyncio.run(go())


def test_the_budget_sent_excludes_the_wait_for_a_connection(base_url: str) -> None:
    first, second = _two_queued_budgets(base_url, ConnectionPool)
    assert 0 < second < first <= 30_000
    # The second request was written at least HOLD_SEC after the first (it waited for the
    # connection), so what it sent is at least that much smaller.
    assert first - second >= HOLD_SEC * 1000 - 5


def test_the_budget_over_httpx_is_computed_when_the_call_is_sent(base_url: str) -> None:
    first, second = _two_queued_budgets(base_url, HttpxTransport)
    assert 0 < second < first <= 30_000
