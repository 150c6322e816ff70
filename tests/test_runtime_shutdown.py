"""Graceful shutdown: calls in flight finish, new ones are refused, the provider is closed."""

from __future__ import annotations

import asyncio
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import chains_runtime as chains
import httpx
import pytest
from chains_runtime.injection import DependencyMarker
from chains_runtime.server import ServerConfig

from tests.server_helpers import ServedChainlet, ServedChainlets, ThreadedServer

SLOW_CHAIN = """
import asyncio

import truss_chains as chains


class Slow(chains.ChainletBase):
    async def run_remote(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"
"""


class Slow(chains.ChainletBase):
    async def run_remote(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"


def _in_flight(url: str) -> int:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    match = re.search(r"^chains_requests_in_flight\{[^}]*\} (\d+)$", text, re.MULTILINE)
    assert match, text
    return int(match.group(1))


def _wait_in_flight(url: str, count: int) -> None:
    deadline = time.monotonic() + 5
    while _in_flight(url) != count:
        assert time.monotonic() < deadline, f"never {count} call(s) in flight"
        time.sleep(0.01)


def test_sigterm_lets_the_call_in_flight_finish(chainlets: ServedChainlets, tmp_path: Path) -> None:
    chain = tmp_path / "slow_chain.py"
    chain.write_text(SLOW_CHAIN)
    served: ServedChainlet = chainlets.start(
        f"{chain}:Slow", {"chainlet": "Slow", "is_entrypoint": True}
    )
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(
            httpx.post,
            f"{served.url}/run_remote",
            json={"seconds": 1.0},
            headers={"x-request-id": "in-flight-1"},
            timeout=10,
        )
        _wait_in_flight(served.url, 1)
        served.process.send_signal(signal.SIGTERM)
        served.wait_for_line("Waiting for connections to close")  # no longer listening
        with pytest.raises(httpx.ConnectError):
            httpx.post(f"{served.url}/run_remote", json={"seconds": 0}, timeout=5)
        response = call.result(timeout=10)
    assert response.status_code == 200 and response.json() == "done"
    assert served.process.wait(timeout=10) == -signal.SIGTERM
    served.wait_for_line(r"request_id=in-flight-1 chainlet=Slow status=200 ")
    served.wait_for_line("Application shutdown complete")
    assert "Traceback" not in served.stderr()


def test_draining_refuses_new_calls_and_finishes_running_ones() -> None:
    server = ThreadedServer(Slow, ServerConfig(predict_concurrency=4, retry_after_sec=3))
    try:
        client = httpx.Client(base_url=server.url, timeout=10)
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(client.post, "/run_remote", json={"seconds": 0.5})
            _wait_in_flight(server.url, 1)
            server.app.drain()
            refused = httpx.post(f"{server.url}/run_remote", json={"seconds": 0})
            assert refused.status_code == 503
            assert refused.json()["error"]["type"] == "ShuttingDown"
            assert refused.headers["retry-after"] == "3"
            assert refused.headers["connection"] == "close"
            ready = httpx.get(f"{server.url}/readyz")
            assert ready.status_code == 503 and ready.json() == {"status": "draining"}
            assert httpx.get(f"{server.url}/healthz").status_code == 200
            assert running.result().status_code == 200
            assert running.result().json() == "done"
    finally:
        server.stop()


class _ClosingProvider:
    """A dependency provider that records when it is closed, and what was in flight then."""

    def __init__(self) -> None:
        self.closed_with_in_flight: int | None = None
        self.server: ThreadedServer | None = None

    def __call__(
        self, owner: type[chains.ChainletBase], parameter: str, marker: DependencyMarker
    ) -> object:
        raise AssertionError("Slow has no dependencies")

    async def aclose(self) -> None:
        assert self.server is not None
        self.closed_with_in_flight = self.server.app.metrics.in_flight


def test_shutdown_closes_the_dependency_provider_after_calls_finish() -> None:
    provider = _ClosingProvider()
    server = ThreadedServer(Slow, ServerConfig(dependency_provider=provider))
    provider.server = server
    try:
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(
                httpx.post, f"{server.url}/run_remote", json={"seconds": 0.3}, timeout=10
            )
            _wait_in_flight(server.url, 1)
            server.server.should_exit = True  # what uvicorn's signal handler does
            assert running.result().status_code == 200
    finally:
        server.stop()
    assert provider.closed_with_in_flight == 0
