"""A caller that leaves cancels its call along the whole chain, on real servers on loopback.

Three chainlets (Entry -> Middle -> Leaf) each on its own uvicorn; the leaf writes a file after
a sleep, and must never write it once the caller at the top has disconnected.
"""

from __future__ import annotations

import asyncio
import functools
import json
import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import chains_runtime as chains
import httpx
import pytest
from chains_runtime.protocol import DEADLINE_HEADER, SERVICE_TOKEN_HEADER

from tests.server_helpers import ThreadedServer, serve_wired

TOKEN = "cancellation-test-token"
INTERNAL = {SERVICE_TOKEN_HEADER: TOKEN}
WAIT_SEC = 20.0  # bound of every wait below; generous for a loaded machine


class Leaf(chains.ChainletBase):
    """Marks ``<marker>.started``, sleeps, then writes ``<marker>`` (the side effect); marks
    ``<marker>.cancelled`` if it is cancelled while sleeping."""

    async def run_remote(self, marker: str, seconds: float) -> str:
        Path(marker + ".started").touch()
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            Path(marker + ".cancelled").touch()
            raise
        Path(marker).write_text("written")
        return "written"


class Middle(chains.ChainletBase):
    def __init__(self, leaf: Leaf = chains.depends(Leaf)) -> None:
        self._leaf = leaf

    async def run_remote(self, marker: str, seconds: float) -> str:
        result: str = await self._leaf.run_remote(marker, seconds)
        return result


class Entry(chains.ChainletBase):
    def __init__(self, middle: Middle = chains.depends(Middle)) -> None:
        self._middle = middle

    async def run_remote(self, marker: str, seconds: float) -> str:
        result: str = await self._middle.run_remote(marker, seconds)
        return result


class SyncLeaf(chains.ChainletBase):
    """A sync run_remote: its thread cannot be interrupted. Returns when it started and
    writes when it ended (``time.monotonic()``: the servers run in this process)."""

    def run_remote(self, marker: str, seconds: float) -> float:
        started = time.monotonic()
        time.sleep(seconds)
        Path(marker).write_text(repr(time.monotonic()))
        return started


@pytest.fixture
def servers() -> Iterator[list[ThreadedServer]]:
    started: list[ThreadedServer] = []
    yield started
    for server in reversed(started):
        server.stop()


@pytest.fixture
def chain(servers: list[ThreadedServer]) -> dict[str, ThreadedServer]:
    leaf = serve_wired(Leaf, token=TOKEN)
    servers.append(leaf)
    middle = serve_wired(Middle, {"Leaf": leaf.url}, token=TOKEN)
    servers.append(middle)
    entry = serve_wired(Entry, {"Middle": middle.url}, token=TOKEN, is_entrypoint=True)
    servers.append(entry)
    return {"Entry": entry, "Middle": middle, "Leaf": leaf}


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = WAIT_SEC) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _open_call(url: str, arguments: dict[str, object], headers: dict[str, str]) -> socket.socket:
    """Send a call on a raw socket and return it unread (closing it is the disconnect)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=WAIT_SEC)
    body = json.dumps(arguments).encode()
    head = [
        "POST /run_remote HTTP/1.1",
        f"host: {host}",
        "content-type: application/json",
        f"content-length: {len(body)}",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    return sock


def _status_of(sock: socket.socket) -> int:
    """The status of the answer arriving on ``sock`` (its status line)."""
    received = b""
    while b"\r\n" not in received:
        piece = sock.recv(4096)
        assert piece, f"connection closed before a status line: {received!r}"
        received += piece
    return int(received.split(b" ", 2)[1])


def _metric(server: ThreadedServer, sample: str) -> float:
    """The value of one sample line of ``/metrics`` (0 when absent)."""
    text = httpx.get(f"{server.url}/metrics", timeout=WAIT_SEC).text
    match = re.search(rf"^{re.escape(sample)} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


def _gone(server: ThreadedServer, chainlet: str) -> float:
    return _metric(server, f'chains_requests_total{{chainlet="{chainlet}",status="499"}}')


def _counted_gone(server: ThreadedServer, chainlet: str) -> bool:
    return _gone(server, chainlet) == 1


def test_disconnect_cancels_every_hop_and_the_side_effect_never_happens(
    chain: dict[str, ThreadedServer], tmp_path: Path
) -> None:
    marker = tmp_path / "side-effect"
    seconds = 2.0
    sock = _open_call(chain["Entry"].url, {"marker": str(marker), "seconds": seconds}, {})
    _wait_until(Path(f"{marker}.started").exists, "the leaf to start")
    sock.close()  # the caller leaves mid-call
    _wait_until(Path(f"{marker}.cancelled").exists, "the leaf's task to be cancelled")
    for name, server in chain.items():  # each hop recorded its caller as gone (499)
        _wait_until(functools.partial(_counted_gone, server, name), f"{name} to count a 499")
    time.sleep(seconds + 0.5)  # past the moment the leaf would have written
    assert not marker.exists()
    # The chain is free again: the next call runs at once and completes.
    response = httpx.post(
        f"{chain['Entry'].url}/run_remote",
        json={"marker": str(tmp_path / "next"), "seconds": 0},
        timeout=WAIT_SEC,
    )
    assert response.status_code == 200 and response.json() == "written"


def test_a_caller_timing_out_cancels_the_chain(
    chain: dict[str, ThreadedServer], tmp_path: Path
) -> None:
    marker = tmp_path / "side-effect"
    arguments = {"marker": str(marker), "seconds": 2.0}
    with pytest.raises(httpx.ReadTimeout):  # httpx closes the connection when it gives up
        httpx.post(f"{chain['Entry'].url}/run_remote", json=arguments, timeout=0.5)
    _wait_until(Path(f"{marker}.cancelled").exists, "the leaf's task to be cancelled")
    time.sleep(2.5)
    assert not marker.exists()


def test_a_queued_call_whose_caller_left_never_starts(
    servers: list[ThreadedServer], tmp_path: Path
) -> None:
    leaf = serve_wired(Leaf, token=TOKEN, predict_concurrency=1)
    servers.append(leaf)
    url = f"{leaf.url}/run_remote"
    busy, queued = tmp_path / "busy", tmp_path / "queued"
    with httpx.Client(timeout=WAIT_SEC, headers=INTERNAL) as client:
        holder = _open_call(leaf.url, {"marker": str(busy), "seconds": 3.0}, INTERNAL)
        _wait_until(Path(f"{busy}.started").exists, "the first call to take the slot")
        waiter = _open_call(leaf.url, {"marker": str(queued), "seconds": 0}, INTERNAL)
        _wait_until(
            lambda: _metric(leaf, 'chains_queue_waiting{chainlet="Leaf"}') == 1,
            "the second call to queue",
        )
        waiter.close()  # its caller leaves while it waits for the slot
        _wait_until(lambda: _gone(leaf, "Leaf") == 1, "the queued call to be dropped")
        assert _metric(leaf, 'chains_queue_waiting{chainlet="Leaf"}') == 0
        assert _status_of(holder) == 200
        holder.close()
        after = client.post(url, json={"marker": str(tmp_path / "after"), "seconds": 0})
        assert after.status_code == 200
    assert busy.exists()
    assert not Path(f"{queued}.started").exists() and not queued.exists()


def test_sync_run_remote_frees_the_caller_but_keeps_its_slot(
    servers: list[ThreadedServer], tmp_path: Path
) -> None:
    leaf = serve_wired(SyncLeaf, token=TOKEN, predict_concurrency=1)
    servers.append(leaf)
    first, second = tmp_path / "first", tmp_path / "second"
    with httpx.Client(base_url=leaf.url, timeout=WAIT_SEC, headers=INTERNAL) as client:
        expired = client.post(
            "/run_remote",
            json={"marker": str(first), "seconds": 3.0},
            headers={DEADLINE_HEADER: "200"},
        )
        # The caller got its 504 while the thread still runs (it cannot be interrupted) ...
        assert expired.status_code == 504 and expired.json()["error"]["type"] == "DeadlineExceeded"
        assert not first.exists()
        # ... and that thread keeps the only slot: the next call starts after it ended.
        response = client.post("/run_remote", json={"marker": str(second), "seconds": 0})
    assert response.status_code == 200
    assert first.exists(), "the sync call was not interrupted: it ran to its end"
    assert response.json() >= float(first.read_text())
