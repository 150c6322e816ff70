"""A pool of keep-alive HTTP/1.1 connections to one URL, and the responses it returns.

``ConnectionPool.post`` sends a ``POST`` to the pool's URL on an idle connection (or a new one,
up to ``max_connections``; further calls wait for a free one, first come first served) and
returns a ``Response`` once the status and headers are in. The body is read with
``Response.read`` or piece by piece with ``Response.next_chunk``; the connection goes back to
the pool when the body was read to its end and the server keeps it open, and is closed
otherwise.

An idle connection is reused only if it is younger than ``keepalive_expiry`` and its socket has
nothing to read (a server that closed it has left its end-of-stream there): the default expiry
(4 s) is below uvicorn's keep-alive timeout (5 s), so a connection is not reused just as the
server closes it. A request is written at most once: if the server closes a connection after
the request went out, the call fails (the request may have run); a stale connection found
before writing costs nothing but a new connection.

Connections belong to the event loop that made them (asyncio transports cannot move between
loops), so the pool keeps them per event loop: a pool used from two loops (the server's and a
background loop thread, say) has at most ``max_connections`` on each. The idle connections of a
loop that was closed without ``aclose`` are shut down when another loop next uses the pool, or
by ``aclose``. ``http://`` and ``https://`` URLs are supported. Proxy variables from the
environment are ignored on purpose: chainlet hops stay on the chain's internal network
(``StubBase`` endpoints, which may need a proxy, use ``httpx_transport``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections import deque
from collections.abc import Iterable, Mapping

from chains_runtime.client.connection import (
    ConnectFailedError,
    Connection,
    TransportError,
)
from chains_runtime.client.headers import checked_headers, declared_too_large
from chains_runtime.client.url import Endpoint as Endpoint
from chains_runtime.errors import ChainsUsageError
from chains_runtime.protocol import DEADLINE_HEADER

DEFAULT_KEEPALIVE_EXPIRY_SEC = 4.0


class Response:
    """The status and headers of an answer; its body is read once, then the connection is freed."""

    def __init__(self, pool: _LoopPool, connection: Connection) -> None:
        self._pool = pool
        self._connection: Connection | None = connection
        self.status = connection.status
        self._headers = connection.headers

    def header(self, name: str) -> str | None:
        """The last value of header ``name`` (case-insensitive), or None."""
        key = name.lower().encode("latin-1")
        for header, value in reversed(self._headers):
            if header == key:
                return value.decode("latin-1")
        return None

    async def read(self, max_bytes: int | None = None) -> bytes:
        """The whole body (within the deadline of the request); frees the connection.

        A body longer than ``max_bytes`` raises ``BodyTooLargeError`` and closes the
        connection: at once when its Content-Length says so, else as the limit is passed.
        """
        connection = self._take()
        try:
            too_large = declared_too_large(self.header("content-length"), max_bytes)
            if too_large is not None:
                connection.abort()
                raise too_large
            return await connection.receive_body(max_bytes)
        finally:
            self._pool.release(connection)

    async def next_chunk(self, timeout_sec: float | None) -> bytes | None:
        """The next piece of the body within ``timeout_sec``, or None at its end."""
        connection = self._connection
        if connection is None:
            return None
        connection.set_deadline(
            None if timeout_sec is None else self._pool.loop.time() + timeout_sec
        )
        try:
            chunk = await connection.receive_chunk()
        except BaseException:
            self.close()
            raise
        if chunk is None:
            self.close()
        else:
            connection.set_deadline(None)  # the reader may take its time with this piece
        return chunk

    def close(self) -> None:
        """Free the connection; it is kept only if the body was read to its end."""
        connection, self._connection = self._connection, None
        if connection is not None:
            self._pool.release(connection)

    def _take(self) -> Connection:
        connection, self._connection = self._connection, None
        if connection is None:
            raise TransportError("the response body was already read or closed")
        return connection


class ConnectionPool:
    """Keep-alive connections to the origin of ``url``, all of whose requests go to ``url``."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        max_connections: int = 100,
        keepalive_expiry_sec: float = DEFAULT_KEEPALIVE_EXPIRY_SEC,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if max_connections < 1:
            raise ChainsUsageError(f"max_connections must be >= 1, got {max_connections}")
        self.endpoint = Endpoint.parse(url)
        self.max_connections = max_connections
        self.keepalive_expiry = keepalive_expiry_sec
        self.ssl: ssl.SSLContext | None = None
        if self.endpoint.scheme == "https":
            self.ssl = ssl_context if ssl_context is not None else ssl.create_default_context()
        lines = [
            f"POST {self.endpoint.target} HTTP/1.1",
            f"host: {self.endpoint.host_header}",
            "accept-encoding: identity",
        ]
        lines += [f"{name}: {value}" for name, value in checked_headers(headers or {})]
        self._head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
        self._by_loop: dict[asyncio.AbstractEventLoop, _LoopPool] = {}
        self.closed = False

    async def post(
        self,
        body: bytes,
        *,
        headers: Iterable[tuple[str, str]] = (),
        timeout_sec: float | None = None,
        deadline: float | None = None,
    ) -> Response:
        """Send ``body``; return once the status and headers arrived (within ``timeout_sec``).

        ``deadline`` (a ``time.monotonic()`` time): the served call's deadline, sent as
        ``DEADLINE_HEADER`` with the milliseconds left when the request is written (after
        waiting for a connection); none left raises ``TimeoutError`` without sending.

        Raises ``ConnectFailedError`` when no connection could be made, ``TimeoutError`` past
        the deadline and ``TransportError`` when the connection failed after the request left.
        """
        lines = [self._head]
        for name, value in checked_headers(dict(headers)):
            lines.append(f"{name}: {value}\r\n".encode("latin-1"))
        loop = asyncio.get_running_loop()
        pool = self._by_loop.get(loop) or self._attach(loop)
        expiry = None if timeout_sec is None else loop.time() + timeout_sec
        connection = await pool.acquire(expiry)
        try:
            if deadline is not None:
                lines.append(deadline_header_line(deadline))
            lines.append(b"content-length: %d\r\n\r\n" % len(body))
            lines.append(body)
            connection.set_deadline(expiry)
            connection.send(b"".join(lines))
            await connection.receive_head()
        except BaseException:
            connection.abort()
            pool.release(connection)
            raise
        return Response(pool, connection)

    async def aclose(self) -> None:
        """Close the idle connections now and the others when their responses are done."""
        self.closed = True
        by_loop, self._by_loop = self._by_loop, {}
        running = asyncio.get_running_loop()
        closing: list[Connection] = []
        for loop, pool in by_loop.items():
            if loop is running:
                closing += pool.close_idle()
            elif loop.is_closed():
                pool.abandon()
            else:
                try:
                    loop.call_soon_threadsafe(pool.close_idle)
                except RuntimeError:  # it closed meanwhile
                    pool.abandon()
        if closing:
            await asyncio.wait([asyncio.ensure_future(c.wait_closed()) for c in closing], timeout=1)

    def _attach(self, loop: asyncio.AbstractEventLoop) -> _LoopPool:
        for other in list(self._by_loop):
            if other.is_closed():
                gone = self._by_loop.pop(other, None)
                if gone is not None:
                    gone.abandon()
        return self._by_loop.setdefault(loop, _LoopPool(self, loop))


class _LoopPool:
    """A pool's connections on one event loop, and the callers there waiting for one.

    ``leased`` counts the slots in use (at most ``max_connections``). A freed slot is handed
    straight to the longest waiting caller, so a newcomer never takes it from under a waiter.
    """

    def __init__(self, pool: ConnectionPool, loop: asyncio.AbstractEventLoop) -> None:
        self.pool = pool
        self.loop = loop
        self.idle: list[Connection] = []
        self.leased = 0
        self.waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self, deadline: float | None) -> Connection:
        if self.pool.closed:
            raise TransportError("the client was closed")
        if self.leased < self.pool.max_connections:
            self.leased += 1
        else:
            await self._wait_for_slot(deadline)
        try:
            now = self.loop.time()
            while self.idle:
                connection = self.idle.pop()  # the most recently used: the least likely to expire
                fresh = now - connection.idle_since < self.pool.keepalive_expiry
                if fresh and not connection.is_stale():
                    return connection
                connection.close()
            return await self._connect(deadline)
        except BaseException:
            self._free_slot()
            raise

    def release(self, connection: Connection) -> None:
        connection.finish()
        if connection.reusable and not self.pool.closed:
            connection.idle_since = self.loop.time()
            self.idle.append(connection)
        else:
            connection.close()
        self._free_slot()

    def close_idle(self) -> list[Connection]:
        """Close the idle connections and fail the waiters (the pool was closed)."""
        idle, self.idle = self.idle, []
        for connection in idle:
            connection.close()
        waiters, self.waiters = self.waiters, deque()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_exception(TransportError("the client was closed"))
        return idle

    def abandon(self) -> None:
        """End the idle connections of a loop that was closed without closing them."""
        idle, self.idle = self.idle, []
        for connection in idle:
            connection.abandon()

    async def _wait_for_slot(self, deadline: float | None) -> None:
        """Wait until a slot is handed over (``leased`` already counts it then)."""
        waiter: asyncio.Future[None] = self.loop.create_future()
        self.waiters.append(waiter)
        timer = None
        if deadline is not None:
            timer = self.loop.call_at(deadline, _expire, waiter, self.pool.max_connections)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._free_slot()  # we were handed a slot we will not use: pass it on
            else:
                with contextlib.suppress(ValueError):
                    self.waiters.remove(waiter)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def _free_slot(self) -> None:
        while self.waiters:
            waiter = self.waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes on; ``leased`` stays
                return
        self.leased -= 1

    async def _connect(self, deadline: float | None) -> Connection:
        loop, pool = self.loop, self.pool
        endpoint = pool.endpoint
        connecting = loop.create_task(
            loop.create_connection(
                lambda: Connection(loop),
                endpoint.host,
                endpoint.port,
                ssl=pool.ssl,
                server_hostname=endpoint.host if pool.ssl is not None else None,
            )
        )
        timeout = None if deadline is None else max(0.0, deadline - loop.time())
        # Not ``asyncio.wait_for``: before Python 3.12 it can swallow a cancellation that
        # arrives as the connection is made, and the request would be sent anyway.
        try:
            done, _ = await asyncio.wait((connecting,), timeout=timeout)
        except BaseException:
            _abandon(connecting)
            raise
        if not done:
            _abandon(connecting)
            raise ConnectFailedError(f"connecting timed out after {timeout:.3g} s")
        try:
            _, connection = connecting.result()
        except OSError as exc:
            raise ConnectFailedError(str(exc) or type(exc).__name__) from exc
        return connection


def _abandon(connecting: asyncio.Task[tuple[asyncio.Transport, Connection]]) -> None:
    """Stop making a connection nobody waits for; close it if it was made meanwhile."""
    connecting.cancel()
    connecting.add_done_callback(_close_if_made)


def _close_if_made(connecting: asyncio.Task[tuple[asyncio.Transport, Connection]]) -> None:
    if not connecting.cancelled() and connecting.exception() is None:
        connecting.result()[1].abort()


def _expire(waiter: asyncio.Future[None], limit: int) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"all {limit} connections stayed busy"))


def deadline_budget(deadline: float) -> str:
    """The ``DEADLINE_HEADER`` value for ``deadline`` (a ``time.monotonic()`` time): whole
    milliseconds left, rounded down so the dependency's deadline is never past ours.

    Raises ``TimeoutError`` when not a whole millisecond is left."""
    milliseconds = int((deadline - time.monotonic()) * 1000)
    if milliseconds <= 0:
        raise TimeoutError("the deadline of the call being served ran out")
    return str(milliseconds)


def deadline_header_line(deadline: float) -> bytes:
    return b"%s: %s\r\n" % (_DEADLINE_HEADER_NAME, deadline_budget(deadline).encode())


_DEADLINE_HEADER_NAME = DEADLINE_HEADER.encode("latin-1")
