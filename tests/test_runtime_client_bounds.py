"""The dependency client reads bounded answers: size limits, frame limits, deep nesting.

Against raw servers on loopback (``RawServer`` from test_runtime_client_faults) that send too
much on purpose: a Content-Length over the limit, an endless chunked body, an endless stream
line, JSON nested 100000 deep. Every test runs its client on asyncio's loop and on uvloop's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import chains_runtime as chains
import pytest
from chains_runtime.client import (
    DependencyClient,
    DependencyResponseTooLargeError,
    ProtocolError,
)
from chains_runtime.client.frames import FrameReader
from chains_runtime.definitions import (
    DEFAULT_MAX_FRAME_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    RPCOptions,
)
from chains_runtime.injection import DependencyMarker
from chains_runtime.protocol import DataFrame, EndFrame, Frame, encode_data_frame
from chains_runtime.stubs import RemoteStubProvider
from chains_runtime.wiring import ChainletWiring

from tests import test_runtime_client_faults as faults
from tests.test_runtime_client_faults import FAST, WAIT_SEC, Peer, RawServer, _run

raw = faults.raw
client_loop = faults.client_loop

MiB = 1024 * 1024
DEEP = 100_000


def _client(server: RawServer, **kwargs: Any) -> DependencyClient:
    kwargs.setdefault("backoff", FAST)
    kwargs.setdefault("timeout_sec", WAIT_SEC)
    kwargs.setdefault("retries", 2)
    return DependencyClient("Callee", server.url, **kwargs)


def _call(server: RawServer, **kwargs: Any) -> Any:
    async def go() -> Any:
        async with _client(server, **kwargs) as client:
            return await client.call({})

    return _run(go)


def _stream(server: RawServer, **kwargs: Any) -> list[Any]:
    async def go() -> list[Any]:
        async with _client(server, **kwargs) as client:
            return [item async for item in client.stream({})]

    return _run(go)


async def _endless_chunked(peer: Peer) -> None:
    """Answers 200 with a chunked body that never ends (JSON or NDJSON without a newline)."""
    await peer.read_request()
    await peer.send(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n")
    await peer.send(b"transfer-encoding: chunked\r\n\r\n")
    piece = b"a" * 65536
    chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
    while True:
        await peer.send(chunk)


def _answer(body: bytes, content_type: bytes = b"application/json") -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: " + content_type + b"\r\n"
    return head + b"content-length: %d\r\n\r\n" % len(body) + body


def _assert_names_the_limit(error: BaseException, server: RawServer, limit: str) -> None:
    text = str(error)
    assert "'Callee'" in text and server.url in text and limit in text, text


# -- the size of an answer -----------------------------------------------------------------


def test_a_content_length_over_the_limit_fails_before_the_body_is_read(
    raw: Callable[..., RawServer],
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        # Announces 10 GiB, sends a little, then waits: only the head can have been judged.
        await peer.send(b"HTTP/1.1 200 OK\r\ncontent-length: 10737418240\r\n\r\n[1,")
        await peer.reader.read()  # until the client closes the connection

    server = raw(handler)
    started = time.monotonic()
    with pytest.raises(DependencyResponseTooLargeError) as caught:
        _call(server, max_response_bytes=MiB, timeout_sec=60)
    assert time.monotonic() - started < 30  # long before the call's timeout
    _assert_names_the_limit(caught.value, server, "max_response_bytes = 1048576 bytes (1 MiB)")
    assert "Content-Length of 10737418240" in str(caught.value)
    assert caught.value.limit == MiB
    server.wait_for(lambda: server.closed == 1, "the client to close the connection")
    assert server.accepted == 1 and len(server.requests) == 1  # not retried


def test_an_endless_answer_fails_at_the_limit_and_its_connection_is_closed(
    raw: Callable[..., RawServer],
) -> None:
    server = raw(_endless_chunked)
    with pytest.raises(DependencyResponseTooLargeError) as caught:
        _call(server, max_response_bytes=2 * MiB)
    _assert_names_the_limit(caught.value, server, "2097152 bytes (2 MiB)")
    server.wait_for(lambda: server.closed == 1, "the client to close the connection")
    assert len(server.requests) == 1  # not retried


def test_an_answer_of_exactly_the_limit_is_read_and_one_byte_more_is_not(
    raw: Callable[..., RawServer],
) -> None:
    body = json.dumps(["x" * 1000]).encode()

    async def handler(peer: Peer) -> None:
        while True:
            await peer.read_request()
            await peer.send(_answer(body))

    server = raw(handler)
    assert _call(server, max_response_bytes=len(body)) == ["x" * 1000]
    with pytest.raises(DependencyResponseTooLargeError):
        _call(server, max_response_bytes=len(body) - 1)


def test_after_a_too_large_answer_the_next_call_gets_a_new_connection(
    raw: Callable[..., RawServer],
) -> None:
    big = json.dumps("y" * 5000).encode()

    async def handler(peer: Peer) -> None:
        while True:
            request = await peer.read_request()
            await peer.send(_answer(big if request.body == b'{"big":true}' else b"1"))

    server = raw(handler)

    async def go() -> Any:
        async with _client(server, max_response_bytes=4000) as client:
            with pytest.raises(DependencyResponseTooLargeError):
                await client.call({"big": True})
            return await client.call({})

    assert _run(go) == 1
    assert server.accepted == 2


def test_an_error_answer_is_bounded_too(raw: Callable[..., RawServer]) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 500 Internal Server Error\r\ntransfer-encoding: chunked\r\n\r\n")
        while True:
            await peer.send(b"10000\r\n" + b"e" * 65536 + b"\r\n")

    server = raw(handler)
    with pytest.raises(DependencyResponseTooLargeError):
        _call(server, max_response_bytes=MiB)


# -- the size of a stream frame ------------------------------------------------------------


def test_an_endless_stream_line_fails_at_max_frame_bytes(raw: Callable[..., RawServer]) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\n"
            b"transfer-encoding: chunked\r\n\r\n"
        )
        first = encode_data_frame("first") + b'{"data":"'
        await peer.send(b"%x\r\n%s\r\n" % (len(first), first))
        while True:
            await peer.send(b"10000\r\n" + b"a" * 65536 + b"\r\n")

    server = raw(handler)
    items: list[Any] = []

    async def go() -> None:
        async with _client(server, max_frame_bytes=MiB) as client:
            async for item in client.stream({}):
                items.append(item)

    with pytest.raises(DependencyResponseTooLargeError) as caught:
        _run(go)
    assert items == ["first"]  # the frames before it were delivered
    _assert_names_the_limit(caught.value, server, "max_frame_bytes = 1048576 bytes (1 MiB)")
    server.wait_for(lambda: server.closed == 1, "the client to close the connection")


def test_many_frames_are_not_bounded_by_max_response_bytes(raw: Callable[..., RawServer]) -> None:
    """A stream's total is not limited (items are handed on as they come); each frame is."""
    frames = b"".join(encode_data_frame("z" * 1000) for _ in range(300)) + b'{"end":true}\n'

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(_answer(frames, b"application/x-ndjson"))

    server = raw(handler)
    items = _stream(server, max_response_bytes=10_000, max_frame_bytes=2000)
    assert items == ["z" * 1000] * 300


def test_a_frame_of_exactly_max_frame_bytes_is_read(raw: Callable[..., RawServer]) -> None:
    frame = encode_data_frame("q" * 5000)

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(_answer(frame + b'{"end":true}\n', b"application/x-ndjson"))

    server = raw(handler)
    assert _stream(server, max_frame_bytes=len(frame) - 1) == ["q" * 5000]  # without its "\n"


@pytest.mark.parametrize("piece", [1, 7, 4096, 1 << 20])
def test_frames_split_anywhere_are_read_the_same(piece: int) -> None:
    body = b"".join(encode_data_frame({"i": i, "s": "é" * i}) for i in range(200))
    body += b"\n  \n" + b'{"end":true}\n'
    reader = FrameReader("Callee", "http://x", max_frame_bytes=1 << 20)
    frames = [f for i in range(0, len(body), piece) for f in reader.feed(body[i : i + piece])]
    assert reader.finish() is None
    assert [f.data for f in frames if isinstance(f, DataFrame)] == [
        {"i": i, "s": "é" * i} for i in range(200)
    ]
    assert isinstance(frames[-1], EndFrame)


def test_one_large_line_in_small_pieces_is_read_once() -> None:
    """A 32 MiB line fed in 64 KiB pieces decodes to its item (the reader keeps one copy)."""
    line = b'{"data":"' + b"x" * (32 * MiB) + b'"}\n'
    reader = FrameReader("Callee", "http://x", max_frame_bytes=64 * MiB)
    frames: list[Frame] = []
    for i in range(0, len(line), 65536):
        frames += reader.feed(line[i : i + 65536])
    assert len(frames) == 1 and isinstance(frames[0], DataFrame)
    assert len(frames[0].data) == 32 * MiB


# -- deeply nested JSON --------------------------------------------------------------------


def test_a_deeply_nested_result_is_a_protocol_error(raw: Callable[..., RawServer]) -> None:
    body = b"[" * DEEP + b"]" * DEEP

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(_answer(body))

    server = raw(handler)
    with pytest.raises(ProtocolError, match="nested too deeply") as caught:
        _call(server)
    _assert_names_the_limit(caught.value, server, "nested")


def test_a_deeply_nested_stream_frame_is_a_protocol_error(raw: Callable[..., RawServer]) -> None:
    frame = b'{"data":' + b"[" * DEEP + b"]" * DEEP + b"}\n"

    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(_answer(frame + b'{"end":true}\n', b"application/x-ndjson"))

    server = raw(handler)
    with pytest.raises(ProtocolError, match="nested too deeply") as caught:
        _stream(server)
    _assert_names_the_limit(caught.value, server, "stream from dependency")


def test_a_malformed_frame_names_the_dependency(raw: Callable[..., RawServer]) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(_answer(b'{"data":1}\n{"what":2}\n', b"application/x-ndjson"))

    server = raw(handler)
    with pytest.raises(ProtocolError, match="expected a stream frame") as caught:
        _stream(server)
    _assert_names_the_limit(caught.value, server, "stream from dependency")


# -- configuration -------------------------------------------------------------------------


def test_the_defaults_and_per_dependency_options() -> None:
    options = RPCOptions()
    assert options.max_response_bytes == DEFAULT_MAX_RESPONSE_BYTES == 64 * MiB
    assert options.max_frame_bytes == DEFAULT_MAX_FRAME_BYTES == 16 * MiB

    class Callee(chains.ChainletBase):
        def run_remote(self) -> int:
            return 1

    marker = chains.depends(Callee, retries=0, max_response_bytes=1000, max_frame_bytes=100)
    assert isinstance(marker, DependencyMarker)
    assert (marker.options.max_response_bytes, marker.options.max_frame_bytes) == (1000, 100)
    with pytest.raises(ValueError, match="max_response_bytes"):
        RPCOptions(max_response_bytes=0)
    with pytest.raises(chains.ChainsUsageError, match="max_response_bytes"):
        DependencyClient("Callee", "http://127.0.0.1:1", max_response_bytes=0)


class Big(chains.StubBase):
    async def run_remote(self) -> Any:
        return await self.predict_async({})


def test_a_stub_is_bounded_by_its_options(raw: Callable[..., RawServer]) -> None:
    server = raw(_endless_chunked)
    stub = Big.from_url(
        f"{server.url}/predict",
        options=chains.RPCOptions(retries=1, timeout_sec=WAIT_SEC, max_response_bytes=MiB),
    )

    async def go() -> Any:
        try:
            return await stub.run_remote()
        finally:
            await stub.aclose()

    with pytest.raises(DependencyResponseTooLargeError) as caught:
        _run(go)
    assert "'Big'" in str(caught.value) and "1048576 bytes (1 MiB)" in str(caught.value)
    server.wait_for(lambda: server.closed == 1, "the stub to close the connection")
    assert len(server.requests) == 1


def test_a_stub_refuses_a_content_length_over_its_limit(raw: Callable[..., RawServer]) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\ncontent-length: 10737418240\r\n\r\n[")
        await peer.reader.read()  # until the stub closes the connection

    server = raw(handler)
    stub = Big.from_url(server.url, options=chains.RPCOptions(max_response_bytes=MiB))
    with pytest.raises(DependencyResponseTooLargeError, match="Content-Length of 10737418240"):
        stub.predict_sync({})
    stub.close_sync()
    server.wait_for(lambda: server.closed == 1, "the stub to close the connection")


class Talkative(chains.ChainletBase):
    async def run_remote(self) -> str:
        return ""


class Listener(chains.ChainletBase):
    def __init__(
        self, talkative: Talkative = chains.depends(Talkative, retries=0, max_response_bytes=4096)
    ) -> None:
        self._talkative = talkative

    async def run_remote(self) -> str:
        return await self._talkative.run_remote()


def test_depends_max_response_bytes_bounds_the_served_chainlets_calls(
    raw: Callable[..., RawServer],
) -> None:
    server = raw(_endless_chunked)
    wiring = ChainletWiring(is_entrypoint=True, dependencies={"Talkative": server.url})

    async def go() -> Any:
        provider = RemoteStubProvider(Listener, wiring)
        try:
            return await provider.stubs["talkative"].run_remote()
        finally:
            await provider.aclose()

    with pytest.raises(DependencyResponseTooLargeError) as caught:
        _run(go)
    assert "'Talkative'" in str(caught.value) and "4096 bytes (4 KiB)" in str(caught.value)
