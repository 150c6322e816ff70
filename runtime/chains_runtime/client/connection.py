"""One HTTP/1.1 keep-alive connection: an asyncio ``Protocol`` fed to an ``httptools`` parser.

A connection carries one request at a time. The caller writes the request with ``send``, then
awaits ``receive_head`` and ``receive_chunk`` (or ``receive_body``); the parser callbacks fill
the response state and wake the single waiter. Nothing here retries: the pool and the
dependency client decide what a failure means.

A deadline (``set_deadline``) is a timer on the event loop, not a task cancellation: when it
fires, the waiting call gets ``TimeoutError`` and the connection is aborted, since a late
answer could otherwise be read as the answer to the next request.

An answer is refused (``TransportError``) rather than misread when its head grows past
``MAX_HEAD_BYTES``, when it uses a content or transfer coding other than ``identity`` and
``chunked`` (the client asks for ``identity`` and decodes nothing), or when it switches
protocols.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import select
import socket
from collections import deque
from typing import cast

import httptools

_PAUSE_READING_BYTES = 1024 * 1024
"""Stop reading from the socket when this much body is buffered and not yet consumed."""
_RESUME_READING_BYTES = 256 * 1024
MAX_HEAD_BYTES = 256 * 1024
"""The most bytes of status lines and headers an answer may take (interim answers included)."""
_CODING_HEADERS = {
    b"transfer-encoding": (b"chunked", b"identity"),
    b"content-encoding": (b"identity",),
}


class TransportError(Exception):
    """The HTTP exchange failed below the protocol: the request may have reached the server."""


class ConnectFailedError(TransportError):
    """No connection could be made, so the request was never sent (safe to retry)."""


class BodyTooLargeError(TransportError):
    """The answer's body is longer than the reader's limit (its Content-Length, or what came)."""

    def __init__(self, limit: int, size: int, *, declared: bool) -> None:
        self.what = f"declares a Content-Length of {size}" if declared else f"passed {size} bytes"
        super().__init__(f"the answer {self.what}, over the limit of {limit} bytes")
        self.limit = limit
        self.size = size
        self.declared = declared


class _StopParsing(Exception):
    """Raised in a parser callback once the answer is refused (the error is already set)."""


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection (create it with ``loop.create_connection``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpResponseParser(self)
        self._closed = False
        self._lost: asyncio.Future[None] = loop.create_future()
        self._deadline: asyncio.TimerHandle | None = None
        self.idle_since = 0.0
        self.exchanges = 0
        """Requests sent on this connection so far."""
        self._in_flight = False
        self._readable: select.poll | None = None
        self._reset()

    def _reset(self) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self._chunks: deque[bytes] = deque()
        self._buffered = 0
        self._head_done = False
        self._complete = False
        self._keep_alive = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._paused_reading = False
        self._head_bytes = 0

    # -- state ---------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once the connection is closed or closing (by either side)."""
        return self._closed or self._transport is None or self._transport.is_closing()

    @property
    def reusable(self) -> bool:
        """True when the last response was read to its end and the server keeps the connection."""
        return (
            not self.closed
            and self._complete
            and self._keep_alive
            and not self._chunks
            and self._error is None
        )

    def is_stale(self) -> bool:
        """True when this idle connection cannot carry another request.

        Besides ``closed``, the socket is polled: a server that closed the connection right
        after its answer (without ``connection: close``) has its end-of-stream waiting in the
        socket before the event loop has read it, and writing a request there would lose it.
        Anything readable while idle (an end, a reset, bytes nobody asked for) spends the
        connection.
        """
        if self.closed:
            return True
        return self._readable is not None and bool(self._readable.poll(0))

    def close(self) -> None:
        self._closed = True
        self._cancel_deadline()
        if self._transport is not None:
            self._transport.close()

    def abort(self) -> None:
        self._closed = True
        self._cancel_deadline()
        if self._transport is not None:
            self._transport.abort()

    def abandon(self) -> None:
        """End a connection whose event loop was closed without closing it.

        asyncio's loop leaves such a socket open, and its transport cannot close it any more
        (that takes the loop). The socket is shut down through a duplicate of its descriptor
        (the transport still owns the original, freed with it): the server sees the
        connection end now. uvloop closes its sockets with the loop (``fileno()`` is -1 then).
        """
        self._closed = True
        sock = None if self._transport is None else self._transport.get_extra_info("socket")
        fileno = -1 if sock is None else sock.fileno()
        if fileno >= 0:
            with contextlib.suppress(OSError), socket.socket(fileno=os.dup(fileno)) as duplicate:
                duplicate.shutdown(socket.SHUT_RDWR)

    async def wait_closed(self) -> None:
        await asyncio.shield(self._lost)

    # -- one exchange --------------------------------------------------------------------

    def send(self, request: bytes) -> None:
        """Write a whole request (head and body); the response state starts afresh."""
        if self.closed or self._transport is None:
            raise ConnectFailedError("the connection closed before the request was sent")
        self._reset()
        self._in_flight = True
        self.exchanges += 1
        self._transport.write(request)

    def finish(self) -> None:
        """End the exchange: the connection is idle again (the pool decides if it is kept)."""
        self._in_flight = False
        self._cancel_deadline()
        if self._paused_reading and self._transport is not None and not self._closed:
            self._paused_reading = False
            self._transport.resume_reading()

    def set_deadline(self, when: float | None) -> None:
        """Fail the pending wait with ``TimeoutError`` at loop time ``when`` (None: no limit)."""
        self._cancel_deadline()
        if when is not None:
            self._deadline = self._loop.call_at(when, self._on_deadline)

    async def receive_head(self) -> None:
        """Wait for the status line and headers (then read ``status`` and ``headers``)."""
        while not self._head_done:
            if self._error is not None:
                raise self._error
            await self._wait()

    async def receive_chunk(self) -> bytes | None:
        """The next piece of the body as it arrives, or None once the body is complete."""
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused_reading and self._buffered <= _RESUME_READING_BYTES:
                    self._paused_reading = False
                    if self._transport is not None and not self._closed:
                        self._transport.resume_reading()
                return chunk
            if self._complete:
                return None
            if self._error is not None:
                raise self._error
            await self._wait()

    async def receive_body(self, max_bytes: int | None = None) -> bytes:
        """The whole remaining body; past ``max_bytes`` the connection is aborted and
        ``BodyTooLargeError`` raised (at most one more piece than the limit was buffered)."""
        parts: list[bytes] = []
        received = 0
        while True:
            chunk = await self.receive_chunk()
            if chunk is None:
                return parts[0] if len(parts) == 1 else b"".join(parts)
            received += len(chunk)
            if max_bytes is not None and received > max_bytes:
                self.abort()
                raise BodyTooLargeError(max_bytes, received, declared=False)
            parts.append(chunk)

    async def _wait(self) -> None:
        waiter = self._loop.create_future()
        self._waiter = waiter
        try:
            await waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _fail(self, error: BaseException) -> None:
        if self._error is None and not self._complete:
            self._error = error
        self._wake()

    def _on_deadline(self) -> None:
        self._deadline = None
        if self._complete:  # everything arrived: nothing is late
            return
        self._fail(TimeoutError())
        self.abort()

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    # -- asyncio.Protocol ----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and hasattr(select, "poll"):
            self._readable = select.poll()
            self._readable.register(sock.fileno(), select.POLLIN)

    def data_received(self, data: bytes) -> None:
        if not self._in_flight:
            # Bytes nobody asked for (e.g. a 408 before closing): the connection is spent.
            self.abort()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(
                TransportError("the server switched protocols, which this client does not do")
            )
            self.abort()
            return
        except httptools.HttpParserError as exc:
            self._fail(TransportError(f"malformed HTTP response: {exc}"))
            self.abort()  # never reused: what follows cannot be trusted
            return
        if not self._head_done:
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._fail(
                    TransportError(
                        f"the answer's status line and headers exceed {MAX_HEAD_BYTES} bytes"
                    )
                )
                self.abort()

    def eof_received(self) -> bool | None:
        return None  # close our side too

    def connection_lost(self, exc: Exception | None) -> None:
        closed_by_us = self._closed
        self._closed = True
        self._cancel_deadline()
        if not self._lost.done():
            self._lost.set_result(None)
        if not self._in_flight or self._complete or self._error is not None:
            self._wake()
            return
        if not closed_by_us and exc is None and self._head_done and self._body_ends_at_close():
            self._complete = True
            self._wake()
            return
        reason = f": {exc}" if exc else ""
        where = "mid-response" if self._head_done else "before it answered"
        which = "kept-alive connection" if self.exchanges > 1 else "connection"
        self._fail(TransportError(f"the server closed the {which} {where}{reason}"))

    def pause_writing(self) -> None:  # requests are written whole; the transport buffers them
        pass

    def resume_writing(self) -> None:
        pass

    # -- httptools callbacks -------------------------------------------------------------

    def on_message_begin(self) -> None:
        if self._complete:  # bytes after the answer: stop parsing (the answer stays intact)
            raise TransportError("the server sent more than one answer")

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        self.headers.append((name, value))
        supported = _CODING_HEADERS.get(name)
        if supported is not None:
            for coding in value.split(b","):
                coding = coding.strip().lower()
                if coding and coding not in supported:
                    self._fail(
                        TransportError(
                            f"the answer has {name.decode()}: {coding.decode('latin-1')}, "
                            "which this client does not decode (it asks for identity)"
                        )
                    )
                    self.abort()
                    raise _StopParsing

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200:  # an interim answer (e.g. 103 Early Hints): the real one follows
            self.headers = []
            return
        self.status = status
        self._head_done = True
        self._wake()

    def on_body(self, body: bytes) -> None:
        self._chunks.append(body)
        self._buffered += len(body)
        if (
            not self._paused_reading
            and self._buffered > _PAUSE_READING_BYTES
            and self._transport is not None
        ):
            self._paused_reading = True
            self._transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if not self._head_done:  # the end of an interim answer
            return
        self._complete = True
        self._keep_alive = self._parser.should_keep_alive()
        self._wake()

    def _body_ends_at_close(self) -> bool:
        """A response with neither a length nor chunked encoding ends when the server closes."""
        names = {name for name, _ in self.headers}
        return b"content-length" not in names and b"transfer-encoding" not in names
