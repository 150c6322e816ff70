"""Hostile clients against the websocket and MessagePack surfaces, on a real server process:
what they send must not grow the server's memory beyond what it bounds, keep a gate slot after
the client stopped answering, or fill the log."""

from __future__ import annotations

import base64
import os
import socket
import struct
import time
import zlib
from collections.abc import Iterator
from typing import Any

import chains_runtime as chains
import httpx
import msgpack  # type: ignore[import-untyped, unused-ignore]
import pytest

from tests.server_helpers import ServedChainlet, ServedChainlets

WAIT_SEC = 20.0  # generous: the suite runs on a loaded 2-core machine
API_KEY = "hostile-test-key"


class WsPingTarget(chains.ChainletBase):
    """Waits for messages, so the server keeps reading the socket (and answering pings)."""

    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        while await websocket.receive_text() != "bye":
            await websocket.send_text("ok")


class WsFirehose(chains.ChainletBase):
    """Sends until the client is gone; pings every second, one second to answer."""

    remote_config = chains.RemoteConfig(
        options=chains.ChainletOptions(
            transport={"ping_interval_seconds": 1, "ping_timeout_seconds": 1}
        )
    )

    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.receive_text()
        while True:
            await websocket.send_bytes(b"x" * 1_000_000)


class TakesAnything(chains.ChainletBase):
    async def run_remote(self, value: object) -> int:
        return 1


@pytest.fixture
def servers() -> Iterator[ServedChainlets]:
    started = ServedChainlets()
    yield started
    started.stop_all()


def _start(servers: ServedChainlets, name: str) -> ServedChainlet:
    config = {"chainlet": name, "is_entrypoint": True, "api_key": API_KEY}
    return servers.start(f"tests/test_runtime_hostile_clients.py:{name}", config)


def _open_websocket(url: str) -> socket.socket:
    """A raw websocket connection (handshake done) that never reads after the handshake."""
    return _handshake(url)[0]


def _handshake(url: str, extra_headers: str = "") -> tuple[socket.socket, bytes]:
    """A raw websocket connection and the server's answer to its handshake (a 101)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.settimeout(WAIT_SEC)
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /websocket HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"x-api-key: {API_KEY}\r\n{extra_headers}\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        piece = sock.recv(1)
        assert piece, f"connection closed during the handshake: {head!r}"
        head += piece
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock, head


def test_ping_flood_from_a_client_that_never_reads_stops_being_read(
    servers: ServedChainlets,
) -> None:
    served = _start(servers, "WsPingTarget")
    sock = _open_websocket(served.url)
    ping = bytes([0x89, 0x80 | 125]) + b"\0\0\0\0" + b"x" * 125  # masked, as from a client
    chunk = ping * 1000
    limit, sent = 64 * 1024 * 1024, 0
    sock.settimeout(5.0)  # no progress for this long: the server stopped reading
    try:
        while sent < limit:
            sock.sendall(chunk)
            sent += len(chunk)
    except TimeoutError:
        pass
    # Unread pongs are as many bytes as the pings: a server that kept reading would hold them
    # all in its memory. Socket buffers take a few MB before the sender blocks.
    assert sent < limit // 2, f"the server read {sent} bytes of pings it could not answer"
    assert httpx.get(f"{served.url}/healthz", timeout=WAIT_SEC).status_code == 200
    sock.close()


def test_a_client_that_reads_slowly_gets_every_answer(servers: ServedChainlets) -> None:
    """Pausing the reads for unread answers resumes them when the client reads."""
    served = _start(servers, "WsPingTarget")
    sock = _open_websocket(served.url)
    count = 20000
    text = b"m"
    frame = bytes([0x81, 0x80 | len(text)]) + b"\0\0\0\0" + text
    sock.sendall(frame * count)  # fits the socket buffers: the server answers "ok" to each
    expected = len(b"\x81\x02ok") * count
    received, deadline = 0, time.monotonic() + WAIT_SEC * 2
    while received < expected:
        assert time.monotonic() < deadline, f"got {received} of {expected} bytes"
        time.sleep(0.001)  # a slow reader
        received += len(sock.recv(65536))
    assert received == expected
    sock.close()


def _post_msgpack(url: str, body: bytes) -> httpx.Response:
    headers = {"x-api-key": API_KEY, "content-type": "application/x-msgpack"}
    return httpx.post(f"{url}/run_remote", content=body, headers=headers, timeout=WAIT_SEC)


def test_a_body_of_small_maps_is_refused_before_it_takes_memory(
    servers: ServedChainlets,
) -> None:
    served = _start(servers, "TakesAnything")
    count = 1_000_000  # three bytes each, a Python dict of some 220 bytes each
    body = b"\x81\xa5value\xdd" + struct.pack(">I", count) + b"\x81\x00\x00" * count
    response = _post_msgpack(served.url, body)
    assert response.status_code == 422
    error: dict[str, Any] = response.json()["error"]
    assert "map or array per 2 bytes" in error["message"]
    records = [{"id": n, "name": "x"} for n in range(100_000)]  # ordinary records still pass
    assert _post_msgpack(served.url, msgpack.packb({"value": records})).status_code == 200


def _read_until_closed(sock: socket.socket) -> bytes:
    received = b""
    deadline = time.monotonic() + WAIT_SEC
    while time.monotonic() < deadline:
        piece = sock.recv(65536)
        if not piece:
            return received
        received += piece
    raise AssertionError(f"the server did not close the connection: {received!r}")


def test_text_that_is_not_utf8_closes_1007_without_a_traceback(
    servers: ServedChainlets,
) -> None:
    served = _start(servers, "WsPingTarget")
    for _ in range(3):
        sock = _open_websocket(served.url)
        first, last = b"ab\xe2", b"\xff"  # a fragmented message, invalid in its last part
        sock.sendall(
            bytes([0x01, 0x80 | len(first)]) + b"\0\0\0\0" + first
            + bytes([0x80, 0x80 | len(last)]) + b"\0\0\0\0" + last
        )
        close = _read_until_closed(sock)
        sock.close()
        assert close[:1] == b"\x88" and struct.unpack(">H", close[2:4])[0] == 1007, close
        assert b"UTF-8" in close
    served.wait_for_lines(r"stream=websocket:client-left:1007", 3, timeout=WAIT_SEC)
    assert "Traceback" not in served.stderr()
    assert httpx.get(f"{served.url}/healthz", timeout=WAIT_SEC).status_code == 200


def test_a_client_that_reads_nothing_loses_its_slot_at_the_ping_timeout(
    servers: ServedChainlets,
) -> None:
    served = _start(servers, "WsFirehose")  # predict_concurrency 1: one slot
    silent = _open_websocket(served.url)
    silent.sendall(bytes([0x81, 0x82]) + b"\0\0\0\0go")  # starts the sending; never reads
    # The server's graceful close would wait for the unread megabytes forever, its run_remote
    # blocked in a send with the only slot; the unanswered ping must end the connection.
    second = _open_websocket(served.url)  # waits in the queue until the slot frees
    second.close()
    served.wait_for_line(r"status=101 .*stream=websocket:client-left", timeout=WAIT_SEC)
    silent.close()


def test_compression_is_not_offered_so_a_small_frame_cannot_inflate(
    servers: ServedChainlets,
) -> None:
    served = _start(servers, "WsPingTarget")
    offer = "Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover\r\n"
    sock, head = _handshake(served.url, offer)
    assert b"permessage-deflate" not in head.lower()
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    inflating = compressor.compress(b"a" * 15_000_000) + compressor.flush(zlib.Z_SYNC_FLUSH)
    payload = inflating[:-4]  # some 15 KB
    sock.sendall(bytes([0xC1, 0x80 | 126]) + struct.pack(">H", len(payload)) + b"\0" * 4 + payload)
    close = _read_until_closed(sock)  # a compressed frame on a plain connection: 1002
    sock.close()
    assert close[:1] == b"\x88" and struct.unpack(">H", close[2:4])[0] == 1002, close
