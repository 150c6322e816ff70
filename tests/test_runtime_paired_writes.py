"""``PairedWrites`` on a real asyncio transport over a real socket pair: an answer's head and
body leave in one ``writelines``; a lone write leaves at the end of the loop's turn; nothing is
reordered or lost on ``close()``."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from chains_runtime.server.paired_writes import PAIRED_WRITE_MAX, PairedWrites

WAIT_SEC = 10.0


class _Sink(asyncio.Protocol):
    pass


@asynccontextmanager
async def _transport() -> AsyncIterator[tuple[asyncio.Transport, socket.socket, list[str]]]:
    """A real transport on one end of a socket pair, the other end, and the transport's
    write calls as they reach it."""
    ours, theirs = socket.socketpair()
    theirs.settimeout(WAIT_SEC)
    loop = asyncio.get_running_loop()
    transport, _ = await loop.connect_accepted_socket(_Sink, ours)
    calls: list[str] = []
    inner: list[bool] = []  # asyncio's own writelines calls write
    real_write, real_writelines = transport.write, transport.writelines

    def write(data: Any) -> None:
        if not inner:
            calls.append("write")
        real_write(data)

    def writelines(lines: Any) -> None:
        calls.append("writelines")
        inner.append(True)
        try:
            real_writelines(lines)
        finally:
            inner.pop()

    setattr(transport, "write", write)  # noqa: B010 - watching the real transport's calls
    setattr(transport, "writelines", writelines)  # noqa: B010
    try:
        yield transport, theirs, calls
    finally:
        transport.abort()
        theirs.close()


def _read(peer: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = peer.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


async def _test_a_head_and_a_body_written_in_one_turn_leave_in_one_call() -> None:
    async with _transport() as (transport, peer, calls):
        paired = PairedWrites(transport, asyncio.get_running_loop())
        paired.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
        paired.write(b"ok")
        assert calls == ["writelines"]
        await asyncio.sleep(0)  # the turn ends: nothing held, nothing written again
        assert calls == ["writelines"]
        assert _read(peer, 40) == b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


async def _test_a_lone_write_leaves_when_the_turn_ends() -> None:
    async with _transport() as (transport, peer, calls):
        paired = PairedWrites(transport, asyncio.get_running_loop())
        paired.write(b"head")  # e.g. a stream's head, before its first item is ready
        assert calls == []
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert calls == ["write"]
        assert _read(peer, 4) == b"head"
        paired.write(b"1")
        paired.write(b"2")
        paired.write(b"3")
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert _read(peer, 3) == b"123"


async def _test_close_and_flush_send_what_is_held_first() -> None:
    async with _transport() as (transport, peer, _):
        paired = PairedWrites(transport, asyncio.get_running_loop())
        paired.write(b"held")
        assert paired.get_write_buffer_size() >= 4
        paired.flush()
        transport.write(b"-after")  # the protocol's own write comes after, never before
        paired.write(b"last")
        paired.close()
        await asyncio.sleep(0.05)
        assert _read(peer, 100) == b"held-afterlast"  # then EOF


async def _test_a_large_body_is_not_joined_to_its_head() -> None:
    async with _transport() as (transport, peer, calls):
        paired = PairedWrites(transport, asyncio.get_running_loop())
        body = b"x" * (PAIRED_WRITE_MAX + 1)
        paired.write(b"head")
        paired.write(body)
        assert calls == ["write", "write"]
        received = await asyncio.to_thread(_read, peer, 4 + len(body))
        assert received == b"head" + body


async def _test_abort_drops_what_is_held() -> None:
    async with _transport() as (transport, peer, calls):
        paired = PairedWrites(transport, asyncio.get_running_loop())
        paired.write(b"never")
        paired.abort()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert calls == []
        assert _read(peer, 5) == b""


def test_a_head_and_a_body_written_in_one_turn_leave_in_one_call() -> None:
    asyncio.run(_test_a_head_and_a_body_written_in_one_turn_leave_in_one_call())


def test_a_lone_write_leaves_when_the_turn_ends() -> None:
    asyncio.run(_test_a_lone_write_leaves_when_the_turn_ends())


def test_close_and_flush_send_what_is_held_first() -> None:
    asyncio.run(_test_close_and_flush_send_what_is_held_first())


def test_abort_drops_what_is_held() -> None:
    asyncio.run(_test_abort_drops_what_is_held())


def test_a_large_body_is_not_joined_to_its_head() -> None:
    asyncio.run(_test_a_large_body_is_not_joined_to_its_head())
