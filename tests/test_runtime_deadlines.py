"""Deadlines across hops and the status codes of failures down the chain, on real servers.

Chains of chainlets each on its own uvicorn on loopback: the caller's ``x-chains-deadline-ms``
budget (or a chainlet's ``run_remote_timeout_sec``) travels with each hop and ends the call with
a 504 ``DeadlineExceeded``; a user error in the leaf is a 500 at every hop, naming the leaf.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import chains_runtime as chains
import httpx
import pytest
from chains_runtime.protocol import (
    DEADLINE_HEADER,
    END_FRAME,
    SERVICE_TOKEN_HEADER,
    ErrorFrame,
    parse_frame,
)

from tests.server_helpers import ThreadedServer, free_port, serve_wired

TOKEN = "deadline-test-token"
INTERNAL = {SERVICE_TOKEN_HEADER: TOKEN}
WAIT_SEC = 20.0


class Leaf(chains.ChainletBase):
    """``budget``: what is left of its deadline; ``sleep``: sleep, then write ``marker``;
    ``fail``: a user error; counts its calls in ``<marker>.calls``."""

    async def run_remote(self, action: str, marker: str = "", seconds: float = 0.0) -> object:
        if marker:
            calls = Path(marker + ".calls")
            calls.write_text(str(int(calls.read_text()) + 1 if calls.exists() else 1))
        if action == "fail":
            raise ValueError("the leaf refuses")
        if action == "sleep":
            try:
                await asyncio.sleep(seconds)
            except asyncio.CancelledError:
                Path(marker + ".cancelled").touch()
                raise
            Path(marker).write_text("written")
        return chains.remaining_time_sec()


class Middle(chains.ChainletBase):
    def __init__(self, leaf: Leaf = chains.depends(Leaf)) -> None:
        self._leaf = leaf

    async def run_remote(self, action: str, marker: str = "", seconds: float = 0.0) -> object:
        own = chains.remaining_time_sec()
        return [own, await self._leaf.run_remote(action, marker, seconds)]


class Entry(chains.ChainletBase):
    def __init__(self, middle: Middle = chains.depends(Middle)) -> None:
        self._middle = middle

    async def run_remote(self, action: str, marker: str = "", seconds: float = 0.0) -> object:
        own = chains.remaining_time_sec()
        return [own, await self._middle.run_remote(action, marker, seconds)]


class LimitedEntry(chains.ChainletBase):
    """An entrypoint with a time limit of its own."""

    remote_config = chains.RemoteConfig(options=chains.ChainletOptions(run_remote_timeout_sec=0.5))

    def __init__(self, leaf: Leaf = chains.depends(Leaf)) -> None:
        self._leaf = leaf

    async def run_remote(self, action: str, marker: str = "", seconds: float = 0.0) -> object:
        return [chains.remaining_time_sec(), await self._leaf.run_remote(action, marker, seconds)]


class SyncLeaf(chains.ChainletBase):
    def run_remote(self) -> float | None:
        return chains.remaining_time_sec()


class SyncMiddle(chains.ChainletBase):
    """A sync chainlet calling a sync one: the call runs on the stubs' loop thread."""

    def __init__(self, leaf: SyncLeaf = chains.depends(SyncLeaf)) -> None:
        self._leaf = leaf

    def run_remote(self) -> object:
        return [chains.remaining_time_sec(), self._leaf.run_remote()]


class SlowStream(chains.ChainletBase):
    async def run_remote(self, n: int, delay: float) -> AsyncIterator[int]:
        for i in range(n):
            await asyncio.sleep(delay)
            yield i


class TimesOut(chains.ChainletBase):
    def __init__(self, leaf: Leaf = chains.depends(Leaf, retries=0, timeout_sec=0.3)) -> None:
        self._leaf = leaf

    async def run_remote(self, seconds: float) -> object:
        return await self._leaf.run_remote("sleep", "", seconds)


class CallsNowhere(chains.ChainletBase):
    def __init__(self, leaf: Leaf = chains.depends(Leaf, retries=0)) -> None:
        self._leaf = leaf

    async def run_remote(self) -> object:
        return await self._leaf.run_remote("budget")


@pytest.fixture
def servers() -> Iterator[list[ThreadedServer]]:
    started: list[ThreadedServer] = []
    yield started
    for server in reversed(started):
        server.stop()


def _serve(
    servers: list[ThreadedServer],
    chainlet: type[chains.ChainletBase],
    dependencies: dict[str, str] | None = None,
    **wiring: Any,
) -> ThreadedServer:
    server = serve_wired(chainlet, dependencies, token=TOKEN, **wiring)
    servers.append(server)
    return server


@pytest.fixture
def chain(servers: list[ThreadedServer]) -> ThreadedServer:
    """Entry -> Middle -> Leaf; the entrypoint."""
    leaf = _serve(servers, Leaf)
    middle = _serve(servers, Middle, {"Leaf": leaf.url})
    return _serve(servers, Entry, {"Middle": middle.url}, is_entrypoint=True)


def _call(
    server: ThreadedServer, arguments: Mapping[str, object], **headers: str
) -> httpx.Response:
    return httpx.post(f"{server.url}/run_remote", json=arguments, headers=headers, timeout=WAIT_SEC)


def _error(response: httpx.Response) -> dict[str, object]:
    error = response.json()["error"]
    assert isinstance(error, dict)
    return error


def _wait_until_exists(path: Path) -> None:
    deadline = time.monotonic() + WAIT_SEC
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


# -- deadline propagation -------------------------------------------------------------------


def test_the_budget_travels_and_shrinks_with_each_hop(chain: ThreadedServer) -> None:
    response = _call(chain, {"action": "budget"}, **{DEADLINE_HEADER: "5000"})
    assert response.status_code == 200, response.text
    entry, (middle, leaf) = response.json()
    assert 0 < leaf < middle < entry <= 5.0


def test_no_deadline_without_a_budget_or_a_limit(chain: ThreadedServer) -> None:
    response = _call(chain, {"action": "budget"})
    assert response.json() == [None, [None, None]]


def test_a_sync_chainlet_passes_the_budget_on(servers: list[ThreadedServer]) -> None:
    leaf = _serve(servers, SyncLeaf)
    middle = _serve(servers, SyncMiddle, {"SyncLeaf": leaf.url}, is_entrypoint=True)
    own, leaf_budget = _call(middle, {}, **{DEADLINE_HEADER: "5000"}).json()
    assert 0 < leaf_budget < own <= 5.0


def test_the_chainlet_limit_bounds_the_budget(servers: list[ThreadedServer]) -> None:
    leaf = _serve(servers, Leaf)
    entry = _serve(servers, LimitedEntry, {"Leaf": leaf.url}, is_entrypoint=True)
    own, leaf_budget = _call(entry, {"action": "budget"}, **{DEADLINE_HEADER: "60000"}).json()
    assert 0 < leaf_budget < own <= 0.5
    own, _ = _call(entry, {"action": "budget"}, **{DEADLINE_HEADER: "200"}).json()
    assert own <= 0.2


# -- 504 when the deadline passes ------------------------------------------------------------


def test_a_leaf_too_slow_for_the_budget_is_504_at_the_entrypoint(
    chain: ThreadedServer, tmp_path: Path
) -> None:
    marker = tmp_path / "slow"
    arguments = {"action": "sleep", "marker": str(marker), "seconds": 3.0}
    response = _call(chain, arguments, **{DEADLINE_HEADER: "500"})
    assert response.status_code == 504, response.text
    error = _error(response)
    assert error["type"] == "DeadlineExceeded" and error["status"] == 504
    assert error["chainlet"] in {"Entry", "Middle", "Leaf"}
    _wait_until_exists(Path(f"{marker}.cancelled"))  # the leaf's deadline cancelled it
    time.sleep(3.0)
    assert not marker.exists()
    assert Path(f"{marker}.calls").read_text() == "1", "a 504 envelope must not be retried"


def test_the_chainlet_limit_answers_504_naming_it(
    servers: list[ThreadedServer], tmp_path: Path
) -> None:
    leaf = _serve(servers, Leaf)
    entry = _serve(servers, LimitedEntry, {"Leaf": leaf.url}, is_entrypoint=True)
    marker = tmp_path / "slow"
    response = _call(entry, {"action": "sleep", "marker": str(marker), "seconds": 3.0})
    assert response.status_code == 504, response.text
    assert _error(response)["type"] == "DeadlineExceeded"
    _wait_until_exists(Path(f"{marker}.cancelled"))


def test_an_exhausted_budget_is_504_without_running(
    servers: list[ThreadedServer], tmp_path: Path
) -> None:
    leaf = _serve(servers, Leaf)
    marker = tmp_path / "never"
    arguments = {"action": "budget", "marker": str(marker)}
    response = _call(leaf, arguments, **INTERNAL, **{DEADLINE_HEADER: "0"})
    assert response.status_code == 504
    error = _error(response)
    assert (error["type"], error["chainlet"], error["status"]) == ("DeadlineExceeded", "Leaf", 504)
    assert error["traceback"] is None
    assert not Path(f"{marker}.calls").exists()


@pytest.mark.parametrize("value", ["abc", "-5", "+100", "1.5", "", "12345678901", "5e3", "0x10"])
def test_a_bad_deadline_header_is_400(servers: list[ThreadedServer], value: str) -> None:
    leaf = _serve(servers, Leaf)
    response = _call(leaf, {"action": "budget"}, **INTERNAL, **{DEADLINE_HEADER: value})
    assert response.status_code == 400, response.text
    error = _error(response)
    assert error["type"] == "InvalidDeadline" and DEADLINE_HEADER in str(error["message"])


def test_the_deadline_bounds_a_whole_stream(servers: list[ThreadedServer]) -> None:
    streamer = _serve(servers, SlowStream, is_entrypoint=True)
    response = _call(streamer, {"n": 50, "delay": 0.1}, **{DEADLINE_HEADER: "600"})
    assert response.status_code == 200
    lines = response.content.splitlines(keepends=True)
    assert END_FRAME not in lines
    last = parse_frame(lines[-1])
    assert isinstance(last, ErrorFrame)
    assert (last.error.type, last.error.status, last.error.chainlet) == (
        "DeadlineExceeded",
        504,
        "SlowStream",
    )
    assert 1 <= len(lines) - 1 < 50  # some items came, then the deadline stopped the rest


# -- status codes across hops ----------------------------------------------------------------


def test_a_user_error_in_the_leaf_is_500_at_every_hop_naming_the_leaf(
    chain: ThreadedServer, servers: list[ThreadedServer], tmp_path: Path
) -> None:
    marker = tmp_path / "fail"
    response = _call(chain, {"action": "fail", "marker": str(marker)})
    assert response.status_code == 500, response.text
    error = _error(response)
    assert error["type"] == "ValueError" and error["chainlet"] == "Leaf"
    assert error["message"] == "the leaf refuses" and error["status"] == 500
    assert Path(f"{marker}.calls").read_text() == "1", "a user error must not be retried"
    middle = servers[1]  # Leaf, Middle, Entry in start order
    direct = _call(middle, {"action": "fail"}, **INTERNAL)
    assert direct.status_code == 500 and _error(direct)["chainlet"] == "Leaf"


def test_a_dependency_timeout_is_504_naming_it(servers: list[ThreadedServer]) -> None:
    leaf = _serve(servers, Leaf)
    caller = _serve(servers, TimesOut, {"Leaf": leaf.url}, is_entrypoint=True)
    response = _call(caller, {"seconds": 3.0})
    assert response.status_code == 504, response.text
    error = _error(response)
    assert error["type"] == "DependencyTimeoutError" and error["chainlet"] == "Leaf"


def test_an_unreachable_dependency_is_502_naming_it(servers: list[ThreadedServer]) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    caller = _serve(servers, CallsNowhere, {"Leaf": nowhere}, is_entrypoint=True)
    response = _call(caller, {})
    assert response.status_code == 502, response.text
    error = _error(response)
    assert error["type"] == "DependencyUnavailableError" and error["chainlet"] == "Leaf"
