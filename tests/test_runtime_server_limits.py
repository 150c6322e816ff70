"""The server's HTTP limits (``server.limits``, ``server.http_protocol``) on a real uvicorn on
loopback, driven with raw sockets: idle and silent connections, a trickled head, a short body,
a huge header, the connection cap with ``/healthz`` still answering. Limits are set small so
the tests run fast; every wait is bounded."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import chains_runtime as chains
import httpx
import pydantic
import pytest
from chains_runtime.definitions import ChainletOptions
from chains_runtime.errors import ChainsUsageError
from chains_runtime.server import ServerConfig, create_app
from chains_runtime.server.http_protocol import _SERVERS, limited_protocol
from chains_runtime.server.limits import (
    ServerLimits,
    add_limit_arguments,
    limits_argv,
    limits_from,
)

from tests.server_helpers import ROOT, ServedChainlets, ThreadedUvicorn

HELLO_CHAIN = ROOT / "examples" / "hello" / "chain.py"
TOKEN = "limits-test-token"
WAIT_SEC = 15.0
"""The longest any single wait of these tests takes before it fails."""


class Length(chains.ChainletBase):
    async def run_remote(self, text: str) -> int:
        return len(text)


class Parked(chains.ChainletBase):
    """Each call waits (at most 30 s) until the test releases it."""

    started = 0
    released = threading.Event()
    lock = threading.Lock()

    async def run_remote(self) -> str:
        with Parked.lock:
            Parked.started += 1
        deadline = time.monotonic() + 30
        while not Parked.released.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return "released"


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[ThreadedUvicorn] = []

    def start(
        chainlet_cls: type[chains.ChainletBase] = Length,
        config: ServerConfig | None = None,
        **limits: Any,
    ) -> ThreadedUvicorn:
        app = create_app(chainlet_cls, config=config or ServerConfig())
        rate = {k: limits.pop(k) for k in ("min_body_rate", "body_grace_sec") if k in limits}
        protocol = limited_protocol(ServerLimits(**limits), chainlet_cls.__name__)
        for name, value in rate.items():
            setattr(protocol, name, value)
        server = ThreadedUvicorn(app, http=protocol, ws="none", lifespan="on")
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def _connect(url: str) -> socket.socket:
    return socket.create_connection(_address(url), timeout=WAIT_SEC)


def _read_until_closed(sock: socket.socket, timeout: float = WAIT_SEC) -> bytes:
    """Everything the server sends until it closes the connection (a reset counts as closed);
    fails if it is still open after ``timeout``."""
    deadline = time.monotonic() + timeout
    received = bytearray()
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"still open after {timeout} s; received {bytes(received)!r}")
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            return bytes(received)
        except TimeoutError:
            continue
        if not chunk:
            return bytes(received)
        received += chunk


def _response(raw: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers, body


def _error_envelope(raw: bytes, status: int) -> dict[str, Any]:
    got, headers, body = _response(raw)
    assert got == status, raw[:300]
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    assert int(headers["content-length"]) == len(body)
    error: dict[str, Any] = json.loads(body)["error"]
    assert error["status"] == status
    return error


def _healthz(url: str) -> int:
    return httpx.get(f"{url}/healthz", timeout=WAIT_SEC).status_code


def _post_head(path: str, content_length: int, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {content_length}\r\n{extra}\r\n"
    ).encode()


# -- timeouts ------------------------------------------------------------------------------


def test_trickled_head_gets_408_and_close(serve: Any) -> None:
    server = serve(head_timeout_sec=0.5)
    with _connect(server.url) as sock:
        sock.sendall(b"POST /run_remote HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        began = time.monotonic()
        answered = False
        for i in range(100):  # one header every 0.1 s: never a complete head
            sock.sendall(f"X-Trickle-{i}: {i}\r\n".encode())
            if select.select([sock], [], [], 0.1)[0]:
                answered = True
                break
        assert answered, "no answer after 10 s of a trickled head"
        raw = _read_until_closed(sock)
    assert time.monotonic() - began >= 0.4
    error = _error_envelope(raw, 408)
    assert error["type"] == "RequestTimeout" and error["chainlet"] == "Length"
    assert "head" in error["message"]
    assert _healthz(server.url) == 200


def test_short_body_gets_408_with_the_request_id_and_close(serve: Any) -> None:
    server = serve(body_timeout_sec=0.5)
    with _connect(server.url) as sock:
        began = time.monotonic()
        sock.sendall(_post_head("/run_remote", 1000, "x-request-id: short-7\r\n") + b'{"text": "')
        raw = _read_until_closed(sock)
    assert time.monotonic() - began >= 0.4
    error = _error_envelope(raw, 408)
    assert error["type"] == "RequestTimeout" and "body" in error["message"]
    assert _response(raw)[1]["x-request-id"] == "short-7"
    assert _healthz(server.url) == 200


def test_silent_and_kept_alive_connections_close_after_the_idle_timeout(serve: Any) -> None:
    server = serve(idle_timeout_sec=0.5)
    silent = [_connect(server.url) for _ in range(5)]
    used = _connect(server.url)
    began = time.monotonic()
    try:
        used.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = _read_until_closed(used)  # answered, kept alive, then closed when idle
        assert _response(answer)[0] == 200
        for sock in silent:
            assert _read_until_closed(sock) == b""
        assert time.monotonic() - began >= 0.4
    finally:
        for sock in [*silent, used]:
            sock.close()


def test_stray_bytes_do_not_keep_a_connection_open(serve: Any) -> None:
    server = serve(idle_timeout_sec=0.5, head_timeout_sec=60)
    with _connect(server.url) as sock:
        sock.sendall(b"\r\n")  # no request begins: the connection is still idle
        assert _read_until_closed(sock) == b""


def test_a_call_answered_before_its_body_ends_is_closed_after_the_answer(serve: Any) -> None:
    config = ServerConfig(service_token="t" * 16, require_service_token=True)
    server = serve(config=config, body_timeout_sec=60, idle_timeout_sec=60)
    with _connect(server.url) as sock:
        began = time.monotonic()
        sock.sendall(_post_head("/run_remote", 100_000) + b'{"text": ')
        raw = _read_until_closed(sock, timeout=10)  # 401 at once (no token), then the end
        # The rest of the declared body is not awaited: the server's side is over.
        assert time.monotonic() - began < 10
        _send_ignoring_reset(sock, b"x" * 1000)  # dropped, at most until the linger ends
        # The server closes its connection (after 3 s of dropping), though ours stays open.
        connections = server.server.server_state.connections
        while connections:
            assert time.monotonic() - began < WAIT_SEC, "the answered connection stayed open"
            time.sleep(0.05)
    status, headers, _ = _response(raw)
    assert status == 401 and headers["connection"] == "close" and raw.count(b"HTTP/1.1") == 1
    assert _healthz(server.url) == 200


def test_a_body_pipelined_behind_an_answered_call_is_still_served(serve: Any) -> None:
    server = serve(idle_timeout_sec=60)
    first, second = b'{"text": "ab"}', b'{"text": "abcd"}'
    with _connect(server.url) as sock:
        # The second request's body spans reads: the first's answer must not close it.
        sock.sendall(
            _post_head("/run_remote", len(first))
            + first
            + _post_head("/run_remote", len(second), "Connection: close\r\n")
            + second[:5]
        )
        time.sleep(0.3)
        sock.sendall(second[5:])
        raw = _read_until_closed(sock)
    assert raw.count(b"HTTP/1.1 200 ") == 2, raw
    assert raw.endswith(b"\r\n\r\n4") and b"connection: close" in raw


def test_a_call_running_past_the_idle_timeout_is_answered(serve: Any) -> None:
    Parked.released.clear()
    server = serve(Parked, idle_timeout_sec=0.3, head_timeout_sec=0.3, body_timeout_sec=0.3)
    threading.Timer(1.5, Parked.released.set).start()
    response = httpx.post(f"{server.url}/run_remote", json={}, timeout=WAIT_SEC)
    assert response.status_code == 200 and response.json() == "released"


# -- head size -----------------------------------------------------------------------------


def test_one_mib_header_gets_431_without_being_read_whole(serve: Any) -> None:
    server = serve()  # the default limit: 64 KiB
    with _connect(server.url) as sock:
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (1 << 20)
        sender = threading.Thread(target=_send_ignoring_reset, args=(sock, head + b"\r\n\r\n"))
        sender.start()
        raw = _read_until_closed(sock)
        sender.join(WAIT_SEC)
    error = _error_envelope(raw, 431)
    assert error["type"] == "RequestHeaderFieldsTooLarge" and "65536 bytes" in error["message"]


def _send_ignoring_reset(sock: socket.socket, data: bytes) -> None:
    with contextlib.suppress(OSError):  # the server may close first: its answer is checked
        sock.sendall(data)


def test_heads_and_bodies_within_the_limits_are_served(serve: Any) -> None:
    server = serve(max_head_bytes=4096)
    with _connect(server.url) as sock:
        # A head just under the limit, and two requests sent at once (pipelined).
        big = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + b"p" * 3900 + b"\r\n\r\n"
        assert len(big) < 4096
        sock.sendall(big + b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        raw = _read_until_closed(sock)
    assert raw.count(b"HTTP/1.1 200 ") == 2
    # A body of 1 MiB, many times the head limit, in the same writes as its head.
    text = "b" * (1 << 20)
    body = json.dumps({"text": text}).encode()
    with _connect(server.url) as sock:
        sock.sendall(_post_head("/run_remote", len(body), "Connection: close\r\n") + body)
        status, _, answer = _response(_read_until_closed(sock))
    assert status == 200 and json.loads(answer) == len(text)
    response = httpx.post(f"{server.url}/run_remote", json={"text": "abc"}, timeout=WAIT_SEC)
    assert response.status_code == 200 and response.json() == 3


def test_a_head_one_byte_over_the_limit_gets_431(serve: Any) -> None:
    server = serve(max_head_bytes=1024)
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: "
    head += b"p" * (1024 - len(head) - 4 + 1) + b"\r\n\r\n"
    assert len(head) == 1025
    with _connect(server.url) as sock:
        sock.sendall(head)
        raw = _read_until_closed(sock)
    assert _response(raw)[0] == 431


# -- connection cap ------------------------------------------------------------------------


def _closed_count(socks: list[socket.socket], wanted: int, timeout: float = WAIT_SEC) -> int:
    """How many of ``socks`` the server closed, once ``wanted`` are (or at ``timeout``)."""
    closed: set[socket.socket] = set()
    deadline = time.monotonic() + timeout
    while len(closed) < wanted:  # looks at least once, however late this thread runs
        open_ones = [sock for sock in socks if sock not in closed]
        readable, _, _ = select.select(open_ones, [], [], 0.1)
        for sock in readable:
            try:
                if sock.recv(1) == b"":
                    closed.add(sock)
            except ConnectionResetError:
                closed.add(sock)
        if time.monotonic() >= deadline:
            break
    return len(closed)


def test_silent_sockets_past_the_cap_cannot_lock_out_healthz(serve: Any) -> None:
    server = serve(max_connections=8, idle_timeout_sec=60)
    silent = [_connect(server.url) for _ in range(60)]
    try:
        assert _healthz(server.url) == 200
        assert httpx.get(f"{server.url}/readyz", timeout=WAIT_SEC).status_code == 200
        # Each newcomer took the place of the oldest idle connection.
        assert _closed_count(silent, 60 - 8) >= 60 - 8
    finally:
        for sock in silent:
            sock.close()


def test_a_slow_head_makes_room_when_no_connection_is_idle(serve: Any) -> None:
    server = serve(max_connections=4, idle_timeout_sec=60, head_timeout_sec=60)
    slow = [_connect(server.url) for _ in range(4)]
    try:
        for sock in slow:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            time.sleep(0.01)  # so that they are oldest first
        # Wait (bounded) until the server has read every partial head: none is idle any more.
        shared = _SERVERS[server.server.server_state]
        deadline = time.monotonic() + WAIT_SEC
        while len(shared.slow_heads) < 4 or shared.idle:
            assert time.monotonic() < deadline, "the server did not read the partial heads"
            time.sleep(0.01)
        assert _healthz(server.url) == 200
        assert _closed_count(slow, 1) == 1
        assert _closed_count([slow[0]], 1, timeout=0.1) == 1  # the oldest made room
    finally:
        for sock in slow:
            sock.close()


def test_with_every_slot_in_a_call_a_new_connection_is_refused_at_once(serve: Any) -> None:
    Parked.released.clear()
    Parked.started = 0
    server = serve(Parked, ServerConfig(predict_concurrency=3), max_connections=3)
    busy = [_connect(server.url) for _ in range(3)]
    try:
        for sock in busy:
            sock.sendall(_post_head("/run_remote", 2) + b"{}")
        deadline = time.monotonic() + WAIT_SEC
        while Parked.started < 3:
            assert time.monotonic() < deadline, "the calls did not start"
            time.sleep(0.01)
        with _connect(server.url) as newcomer:
            newcomer.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            # Closed without an answer while the calls still wait (they wait up to 30 s).
            assert _read_until_closed(newcomer, timeout=10) == b""
        assert not Parked.released.is_set()
        Parked.released.set()
        for sock in busy:
            sock.settimeout(WAIT_SEC)
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")
        # The answered connections are idle now: a newcomer takes the place of one.
        assert _healthz(server.url) == 200
    finally:
        Parked.released.set()
        for sock in busy:
            sock.close()


def _wait_for_slow_bodies(server: ThreadedUvicorn, count: int) -> Any:
    """The server's shared connection state, once it has ``count`` bodies spanning reads and
    no idle connection."""
    deadline = time.monotonic() + WAIT_SEC
    while (shared := _SERVERS.get(server.server.server_state)) is None or (
        len(shared.slow_bodies) < count or any(not c._lingering for c in shared.idle)
    ):
        assert time.monotonic() < deadline, "the server did not read the partial bodies"
        time.sleep(0.01)
    return shared


def test_bodies_in_progress_past_the_cap_cannot_lock_out_healthz(serve: Any) -> None:
    # The defaults but the cap: a body may take 60 s, more than a liveness probe waits.
    server = serve(max_connections=4)
    slow = [_connect(server.url) for _ in range(4)]
    try:
        for sock in slow:
            sock.sendall(_post_head("/run_remote", 100_000) + b'{"text": "abc')
            time.sleep(0.05)  # so that they are oldest first
        _wait_for_slow_bodies(server, 4)
        assert _healthz(server.url) == 200
        assert _closed_count(slow, 1) == 1
        assert _closed_count([slow[0]], 1, timeout=0.1) == 1  # the furthest behind made room
    finally:
        for sock in slow:
            sock.close()


def test_a_connection_answered_before_its_body_ends_makes_room_first(serve: Any) -> None:
    token = "t" * 16
    config = ServerConfig(service_token=token, require_service_token=True)
    # No body is cut by the rate check while the test runs, however loaded the machine.
    server = serve(config=config, max_connections=4, idle_timeout_sec=60, body_grace_sec=60)
    with_token = f"x-chains-service-token: {token}\r\n"
    bodies = [_connect(server.url) for _ in range(3)]
    answered = _connect(server.url)
    try:
        for sock in bodies:  # older, and in the app waiting for the rest of their bodies
            sock.sendall(_post_head("/run_remote", 100_000, with_token) + b'{"text": "')
            time.sleep(0.05)
        answered.sendall(_post_head("/run_remote", 100_000) + b'{"text": "')
        raw = _read_until_closed(answered)  # 401 (no token) and the end of the server's side
        status, headers, _ = _response(raw)
        assert status == 401 and headers["connection"] == "close"
        shared = _wait_for_slow_bodies(server, 3)
        (lingering,) = shared.idle  # the answered one, dropping what still comes
        assert _healthz(server.url) == 200
        assert lingering.transport.is_closing()
        assert len(shared.slow_bodies) == 3
        assert _closed_count(bodies, 1, timeout=0.3) == 0
    finally:
        for sock in [*bodies, answered]:
            sock.close()


def test_a_call_in_the_app_with_its_whole_body_never_makes_room(serve: Any) -> None:
    Parked.released.clear()
    Parked.started = 0
    config = ServerConfig(predict_concurrency=2)
    server = serve(Parked, config, max_connections=2, idle_timeout_sec=60, body_grace_sec=60)
    running = _connect(server.url)
    sending: socket.socket | None = None
    try:
        # The oldest body, and the slowest: it spans reads, then is complete and in the app.
        running.sendall(_post_head("/run_remote", 2) + b"{")
        _wait_for_slow_bodies(server, 1)
        time.sleep(0.3)
        running.sendall(b"}")
        deadline = time.monotonic() + WAIT_SEC
        while Parked.started < 1:
            assert time.monotonic() < deadline, "the call did not start"
            time.sleep(0.01)
        sending = _connect(server.url)
        sending.sendall(_post_head("/run_remote", 1000) + b"{")
        _wait_for_slow_bodies(server, 1)
        assert _healthz(server.url) == 200
        assert _closed_count([sending], 1) == 1
        assert _closed_count([running], 1, timeout=0.3) == 0
        Parked.released.set()
        running.settimeout(WAIT_SEC)
        assert running.recv(65536).startswith(b"HTTP/1.1 200 ")
    finally:
        Parked.released.set()
        running.close()
        if sending is not None:
            sending.close()


def test_a_trickled_body_is_cut_by_the_minimum_rate_a_steady_one_is_not(serve: Any) -> None:
    server = serve(body_timeout_sec=60, min_body_rate=2000, body_grace_sec=0.5)
    with _connect(server.url) as sock:
        sock.sendall(_post_head("/run_remote", 1000, "x-request-id: trickle-1\r\n") + b"{")
        began = time.monotonic()
        answered = False
        for _ in range(100):  # one byte every 0.1 s, far below 2000 bytes/s
            _send_ignoring_reset(sock, b" ")
            if select.select([sock], [], [], 0.1)[0]:
                answered = True
                break
        assert answered, "no answer after 10 s of a trickled body"
        raw = _read_until_closed(sock)
    assert time.monotonic() - began >= 0.4
    error = _error_envelope(raw, 408)
    assert "slower than 2000 bytes/s" in error["message"]
    assert _response(raw)[1]["x-request-id"] == "trickle-1"
    # About 10 kB/s for 1.2 s: slower than the body deadline would like in one read, still served.
    text = "s" * 12_000
    body = json.dumps({"text": text}).encode()
    with _connect(server.url) as sock:
        sock.sendall(_post_head("/run_remote", len(body), "Connection: close\r\n"))
        for start in range(0, len(body), 1000):
            sock.sendall(body[start : start + 1000])
            time.sleep(0.1)
        status, _, answer = _response(_read_until_closed(sock))
    assert status == 200 and json.loads(answer) == len(text)


# -- a real server process: flags, environment, memory -------------------------------------


def _vm_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_served_chainlet_takes_limits_from_the_environment(chainlets: ServedChainlets) -> None:
    served = chainlets.start(
        f"{HELLO_CHAIN}:SayHello",
        {"chainlet": "SayHello", "service_token": TOKEN},
        env={"CHAINS_MAX_CONNECTIONS": "16", "CHAINS_IDLE_TIMEOUT_SEC": "60"},
    )
    silent = [_connect(served.url) for _ in range(100)]
    try:
        assert _healthz(served.url) == 200
        assert _closed_count(silent, 100 - 16) >= 100 - 16
    finally:
        for sock in silent:
            sock.close()
    served.wait_for_line(r"connections ended by a server limit: \d+ idle, closed to make room")
    # A 64 MiB header is answered 431 after 64 KiB, and never held in memory.
    pid = served.process.pid
    before = _vm_kib(pid, "VmRSS")
    with _connect(served.url) as sock:
        head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * (64 << 20)
        sender = threading.Thread(target=_send_ignoring_reset, args=(sock, head))
        sender.start()
        raw = _read_until_closed(sock)
        sender.join(WAIT_SEC)
    assert _response(raw)[0] == 431
    assert _vm_kib(pid, "VmHWM") - before < 16 * 1024
    assert _healthz(served.url) == 200


BAD_FLAG = ("--max-connections", "0")


def test_serve_refuses_a_bad_limit_with_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chains_runtime.serve", f"{HELLO_CHAIN}:SayHello", *BAD_FLAG],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "CHAINS_CONFIG": json.dumps({"chainlet": "SayHello"})},
    )
    assert result.returncode == 2, result.stderr
    assert "--max-connections must be >= 1, got '0'" in result.stderr
    assert "Traceback" not in result.stderr


SMALL_HEAD_CHAIN = """
import truss_chains as chains


class SmallHead(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        options=chains.ChainletOptions(max_head_bytes={max_head_bytes})
    )

    async def run_remote(self, text: str) -> int:
        return len(text)
"""


def _get_healthz_with_header(url: str, header_bytes: int) -> int:
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nX-Pad: "
    with _connect(url) as sock:
        _send_ignoring_reset(sock, head + b"p" * header_bytes + b"\r\n\r\n")
        return _response(_read_until_closed(sock))[0]


def test_served_chainlet_takes_limits_from_its_chainlet_options(
    chainlets: ServedChainlets, tmp_path: Path
) -> None:
    chain = tmp_path / "small_head.py"
    chain.write_text(SMALL_HEAD_CHAIN.format(max_head_bytes=1024))
    config = {"chainlet": "SmallHead", "service_token": TOKEN}
    served = chainlets.start(f"{chain}:SmallHead", config)
    assert _get_healthz_with_header(served.url, 2048) == 431
    assert _get_healthz_with_header(served.url, 512) == 200
    # The environment wins over the chain's option.
    served = chainlets.start(f"{chain}:SmallHead", config, env={"CHAINS_MAX_HEAD_BYTES": "4096"})
    assert _get_healthz_with_header(served.url, 2048) == 200


def test_serve_refuses_a_bad_chain_option_in_one_line(tmp_path: Path) -> None:
    chain = tmp_path / "bad_head.py"
    chain.write_text(SMALL_HEAD_CHAIN.format(max_head_bytes=10))
    result = subprocess.run(
        [sys.executable, "-m", "chains_runtime.serve", f"{chain}:SmallHead"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "CHAINS_CONFIG": json.dumps({"chainlet": "SmallHead"})},
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines() == [
        f"chains_runtime.serve: error: importing {str(chain)!r} failed: ValidationError: "
        "invalid ChainletOptions: max_head_bytes: Input should be greater than or equal to 256, "
        f"got 10 ({chain}, line 7)"
    ]


# -- settings ------------------------------------------------------------------------------


def _args(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_limit_arguments(parser)
    return parser.parse_args(list(argv))


def _parse(
    *argv: str, environ: dict[str, str] | None = None, options: ChainletOptions | None = None
) -> ServerLimits:
    return limits_from(_args(*argv), environ or {}, options)


def test_limits_come_from_flags_then_environment_then_defaults() -> None:
    assert _parse() == ServerLimits()
    env = {"CHAINS_MAX_CONNECTIONS": "50", "CHAINS_HEAD_TIMEOUT_SEC": "2.5"}
    argv = ("--max-connections", "70", "--body-timeout", "5")
    limits = _parse(*argv, environ=env)
    assert limits == ServerLimits(max_connections=70, head_timeout_sec=2.5, body_timeout_sec=5)
    assert _parse(*limits_argv(_args(*argv), env)) == limits
    assert limits_argv(_args(), {}) == []


def test_chain_options_come_after_flags_and_environment() -> None:
    options = ChainletOptions(
        max_connections=8,
        idle_timeout_sec=3,
        head_timeout_sec=2.5,
        body_timeout_sec=7.5,
        max_head_bytes=1024,
    )
    assert _parse(options=options) == ServerLimits(
        max_connections=8,
        idle_timeout_sec=3.0,
        head_timeout_sec=2.5,
        body_timeout_sec=7.5,
        max_head_bytes=1024,
    )
    env = {"CHAINS_MAX_CONNECTIONS": "50", "CHAINS_MAX_HEAD_BYTES": "2048"}
    limits = _parse("--max-connections", "70", "--idle-timeout", "15", environ=env, options=options)
    # The flag over the variable over the option; a flag equal to the default still wins.
    assert limits == ServerLimits(
        max_connections=70,
        idle_timeout_sec=15.0,
        head_timeout_sec=2.5,
        body_timeout_sec=7.5,
        max_head_bytes=2048,
    )
    assert _parse(options=ChainletOptions()) == ServerLimits()


def test_chains_run_passes_on_every_limit_it_was_given_even_a_default() -> None:
    argv = limits_argv(_args("--idle-timeout", "15"), {"CHAINS_MAX_HEAD_BYTES": "65536"})
    assert argv == ["--idle-timeout", "15.0", "--max-head-bytes", "65536"]
    served = _parse(*argv, options=ChainletOptions(idle_timeout_sec=1, max_head_bytes=1024))
    assert served == ServerLimits()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_connections", 0),
        ("idle_timeout_sec", 0),
        ("head_timeout_sec", float("inf")),
        ("body_timeout_sec", float("nan")),
        ("max_head_bytes", 255),
    ],
)
def test_chain_options_refuse_what_the_server_would(field: str, value: float) -> None:
    with pytest.raises(pydantic.ValidationError, match=field):
        ChainletOptions.model_validate({field: value})


@pytest.mark.parametrize(
    ("argv", "environ", "message"),
    [
        (["--max-connections", "many"], {}, "--max-connections must be a whole number"),
        (["--idle-timeout", "-1"], {}, "--idle-timeout must be >= 0.01"),
        (["--head-timeout", "inf"], {}, "--head-timeout must be >= 0.01"),
        ([], {"CHAINS_MAX_HEAD_BYTES": "10"}, "CHAINS_MAX_HEAD_BYTES must be >= 256"),
        ([], {"CHAINS_BODY_TIMEOUT_SEC": "soon"}, "CHAINS_BODY_TIMEOUT_SEC must be a number"),
    ],
)
def test_bad_limits_name_the_flag_or_variable(
    argv: list[str], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(ChainsUsageError, match=message):
        _parse(*argv, environ=environ)


FD_LIMIT_SCRIPT = """
import json, resource, sys
from chains_runtime.server.limits import ServerLimits, fit_to_fd_limit
soft, hard = int(sys.argv[1]), int(sys.argv[2])
resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
limits, warning = fit_to_fd_limit(ServerLimits(max_connections=1024))
print(json.dumps([limits.max_connections, warning, resource.getrlimit(resource.RLIMIT_NOFILE)[0]]))
"""


@pytest.mark.parametrize(
    ("soft", "hard", "cap", "soft_after"),
    [(300, 4096, 1024, 1024 + 256), (300, 600, 344, 600), (256, 256, 128, 256)],
)
def test_connection_cap_fits_the_fd_limit(soft: int, hard: int, cap: int, soft_after: int) -> None:
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[1] < hard:
        pytest.skip("the hard fd limit here is lower than the case needs")
    result = subprocess.run(
        [sys.executable, "-c", FD_LIMIT_SCRIPT, str(soft), str(hard)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    got_cap, warning, got_soft = json.loads(result.stdout)
    assert (got_cap, got_soft) == (cap, soft_after)
    assert (warning is None) == (cap == 1024)
    if warning is not None:
        assert f"serving at most {cap} connections" in warning


# -- chains-run passes the limits on -------------------------------------------------------


def _chainlet_argvs(marker: str) -> list[list[str]]:
    """The command lines of the live chainlet processes serving ``marker``."""
    argvs = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            if "chains_runtime.serve" in argv and any(marker in arg for arg in argv):
                argvs.append(argv)
    return argvs


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="reads /proc")
def test_chains_run_passes_flags_and_environment_on_to_every_chainlet(tmp_path: Path) -> None:
    chain = tmp_path / "limited_chain.py"
    chain.write_text(HELLO_CHAIN.read_text())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}
    env["CHAINS_HEAD_TIMEOUT_SEC"] = "0.5"
    command = [sys.executable, "-m", "chains_runtime.run.cli", str(chain), "--serve"]
    command += ["--port", str(port), "--max-connections", "4", "--idle-timeout", "0.5"]
    process = subprocess.Popen(
        command,
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the chain did not get ready"
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            time.sleep(0.05)
        argvs = _chainlet_argvs(str(chain))
        assert len(argvs) == 2
        for argv in argvs:
            flags = " ".join(argv)
            assert "--max-connections 4 --idle-timeout 0.5 --head-timeout 0.5" in flags
        silent = [_connect(url) for _ in range(20)]
        try:
            assert _healthz(url) == 200
            assert _closed_count(silent, 20) == 20  # made room, then the idle timeout
        finally:
            for sock in silent:
                sock.close()
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    deadline = time.monotonic() + 10
    while _chainlet_argvs(str(chain)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _chainlet_argvs(str(chain)), "chainlet processes were left behind"


# -- clients that never read: pipelined floods, unread answers -----------------------------

PIPELINED_HEALTHZ = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _never_reading_socket(url: str) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(2.0)
    sock.connect(_address(url))
    return sock


def _send_until_blocked(sock: socket.socket, data: bytes, timeout: float = WAIT_SEC) -> int:
    """Send ``data`` until it is all sent, the server stops taking it or drops the connection."""
    sent, deadline = 0, time.monotonic() + timeout
    with contextlib.suppress(OSError):
        while sent < len(data) and time.monotonic() < deadline:
            sent += sock.send(data[sent : sent + (1 << 20)])
    return sent


def _healthz_within(url: str, timeout: float = WAIT_SEC) -> int:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(f"{url}/healthz", timeout=3.0).status_code
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_a_pipelined_flood_never_read_stays_bounded_and_leaves_no_traceback(
    chainlets: ServedChainlets,
) -> None:
    served = chainlets.start(
        f"{HELLO_CHAIN}:SayHello",
        {"chainlet": "SayHello", "service_token": TOKEN},
        env={"CHAINS_IDLE_TIMEOUT_SEC": "5"},
    )
    pid = served.process.pid
    assert _healthz(served.url) == 200
    before = _vm_kib(pid, "VmRSS")
    fds_before = len(os.listdir(f"/proc/{pid}/fd"))
    flood = PIPELINED_HEALTHZ * ((16 << 20) // len(PIPELINED_HEALTHZ))
    with _never_reading_socket(served.url) as sock:
        _send_until_blocked(sock, flood, timeout=10.0)
        assert _healthz(served.url) == 200
        assert _vm_kib(pid, "VmRSS") - before < 64 * 1024
        # Its answers stay unread: the server drops the connection after the idle timeout.
        deadline = time.monotonic() + WAIT_SEC
        while len(os.listdir(f"/proc/{pid}/fd")) > fds_before and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(os.listdir(f"/proc/{pid}/fd")) <= fds_before
    # The client left with answers unread: the server drops them without a traceback.
    assert _healthz_within(served.url) == 200
    time.sleep(1.0)
    assert "Traceback" not in served.stderr()
    assert served.process.poll() is None


class Big(chains.ChainletBase):
    async def run_remote(self, size: int) -> str:
        return "x" * size


def test_answers_never_read_are_dropped_and_cannot_pass_the_cap(serve: Any) -> None:
    # Answers larger than the socket buffers stay in the server's write buffer: a close that
    # waited for them to be read would keep every such connection (past the cap) for ever.
    server = serve(Big, max_connections=20, idle_timeout_sec=0.5)
    body = json.dumps({"size": 8 << 20}).encode()
    connections = server.server.server_state.connections
    socks: list[socket.socket] = []
    most = 0
    try:
        for _ in range(60):
            sock = _never_reading_socket(server.url)
            socks.append(sock)
            _send_until_blocked(sock, _post_head("/run_remote", len(body)) + body, timeout=1.0)
            time.sleep(0.05)
            most = max(most, len(connections))
        assert most <= 20 + 2
        assert _healthz_within(server.url) == 200
        deadline = time.monotonic() + WAIT_SEC
        while len(connections) > 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(connections) == 0  # each dropped after the idle timeout, unread
    finally:
        for sock in socks:
            sock.close()


def test_a_request_that_is_not_http_gets_400_with_the_error_envelope(serve: Any) -> None:
    server = serve()
    with _connect(server.url) as sock:
        sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
        error = _error_envelope(_read_until_closed(sock), 400)
    assert error["type"] == "BadRequest" and error["chainlet"] == "Length"
    assert _healthz(server.url) == 200
