"""A pool of keep-alive HTTP/1.1 connections to one URL, and the responses it returns.

``ConnectionPool.post`` sends a ``POST`` to the pool's URL on an idle connection (or a new one,
up to ``max_connections``; further calls wait for a free one) and returns a ``Response`` once
the status and headers are in. The body is read with ``Response.read`` or piece by piece with
``Response.next_chunk``; the connection goes back to the pool when the body was read to its
end and the server keeps it open, and is closed otherwise.

Idle connections older than ``keepalive_expiry`` are not reused: the default (4 s) is below
uvicorn's keep-alive timeout (5 s), so a connection is not reused just as the server closes it.
The pool binds to the event loop that first uses it; once that loop is closed, another may
take it over (its connections died with it). ``http://`` and ``https://`` URLs are supported;
proxies from the environment are not.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.parse
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chains_runtime.client.connection import ConnectFailedError, Connection, TransportError
from chains_runtime.errors import ChainsUsageError

DEFAULT_KEEPALIVE_EXPIRY_SEC = 4.0
_DEFAULT_PORTS = {"http": 80, "https": 443}


@dataclass(frozen=True)
class Endpoint:
    """Where a pool sends its requests, parsed once from a URL."""

    url: str
    scheme: str
    host: str
    port: int
    target: str
    """The request target: the path and query, e.g. ``/run_remote``."""

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ChainsUsageError(f"invalid URL {url!r}: {exc}") from None
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ChainsUsageError(
                f"invalid URL {url!r}: expected http://HOST[:PORT]/PATH or https://..."
            )
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        return cls(
            url=url,
            scheme=parts.scheme,
            host=parts.hostname,
            port=port if port is not None else _DEFAULT_PORTS[parts.scheme],
            target=target,
        )

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == _DEFAULT_PORTS[self.scheme]:
            return host
        return f"{host}:{self.port}"


class Response:
    """The status and headers of an answer; its body is read once, then the connection is freed."""

    def __init__(self, pool: ConnectionPool, connection: Connection) -> None:
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

    async def read(self) -> bytes:
        """The whole body (within the deadline of the request); frees the connection."""
        connection = self._take()
        try:
            return await connection.receive_body()
        finally:
            self._pool._release(connection)

    async def next_chunk(self, timeout_sec: float | None) -> bytes | None:
        """The next piece of the body within ``timeout_sec``, or None at its end."""
        connection = self._connection
        if connection is None:
            return None
        connection.set_deadline(
            None if timeout_sec is None else self._pool._loop_time() + timeout_sec
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
            self._pool._release(connection)

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
        self._max_connections = max_connections
        self._keepalive_expiry = keepalive_expiry_sec
        self._ssl: ssl.SSLContext | None = None
        if self.endpoint.scheme == "https":
            self._ssl = ssl_context if ssl_context is not None else ssl.create_default_context()
        lines = [
            f"POST {self.endpoint.target} HTTP/1.1",
            f"host: {self.endpoint.host_header}",
            "accept-encoding: identity",
        ]
        lines += [f"{name}: {value}" for name, value in _checked(headers or {})]
        self._head = ("\r\n".join(lines) + "\r\n").encode("latin-1")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._idle: list[Connection] = []
        self._leased = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    async def post(
        self,
        body: bytes,
        *,
        headers: Iterable[tuple[str, str]] = (),
        timeout_sec: float | None = None,
    ) -> Response:
        """Send ``body``; return once the status and headers arrived (within ``timeout_sec``).

        Raises ``ConnectFailedError`` when no connection could be made, ``TimeoutError`` past
        the deadline and ``TransportError`` when the connection failed after the request left.
        """
        lines = [self._head]
        for name, value in _checked(dict(headers)):
            lines.append(f"{name}: {value}\r\n".encode("latin-1"))
        lines.append(b"content-length: %d\r\n\r\n" % len(body))
        lines.append(body)
        request = b"".join(lines)
        loop = self._bind()
        deadline = None if timeout_sec is None else loop.time() + timeout_sec
        connection = await self._acquire(loop, deadline)
        try:
            connection.set_deadline(deadline)
            connection.send(request)
            await connection.receive_head()
        except BaseException:
            connection.abort()
            self._release(connection)
            raise
        return Response(self, connection)

    async def aclose(self) -> None:
        """Close the idle connections now and the others when their responses are done."""
        self._closed = True
        idle, self._idle = self._idle, []
        waiters, self._waiters = self._waiters, deque()
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # the connections died with their loop
        if loop is not asyncio.get_running_loop():
            loop.call_soon_threadsafe(_close_all, idle, waiters)
            return
        _close_all(idle, waiters)
        if idle:
            await asyncio.wait([asyncio.ensure_future(c.wait_closed()) for c in idle], timeout=1)

    # -- leasing connections -------------------------------------------------------------

    def _bind(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return loop
        if self._loop is not None and not self._loop.is_closed() and (self._idle or self._leased):
            raise ChainsUsageError(
                f"the client for {self.endpoint.url} is in use on another event loop; "
                "create one client per event loop"
            )
        self._loop, self._idle, self._leased = loop, [], 0
        self._waiters.clear()
        return loop

    def _loop_time(self) -> float:
        return asyncio.get_running_loop().time()

    async def _acquire(self, loop: asyncio.AbstractEventLoop, deadline: float | None) -> Connection:
        if self._closed:
            raise TransportError("the client was closed")
        while self._leased >= self._max_connections:
            await self._wait_for_slot(loop, deadline)
        self._leased += 1
        now = loop.time()
        while self._idle:
            connection = self._idle.pop()  # the most recently used: the least likely to expire
            if not connection.closed and now - connection.idle_since < self._keepalive_expiry:
                return connection
            connection.close()
        try:
            return await self._connect(loop, deadline)
        except BaseException:
            self._leased -= 1
            self._wake_one()
            raise

    async def _wait_for_slot(self, loop: asyncio.AbstractEventLoop, deadline: float | None) -> None:
        waiter: asyncio.Future[None] = loop.create_future()
        self._waiters.append(waiter)
        timer = None
        if deadline is not None:
            timer = loop.call_at(deadline, _expire, waiter, self._max_connections)
        try:
            await waiter
        except BaseException:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            elif waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                self._wake_one()  # we were handed a slot we will not use
            raise
        finally:
            if timer is not None:
                timer.cancel()

    async def _connect(self, loop: asyncio.AbstractEventLoop, deadline: float | None) -> Connection:
        endpoint = self.endpoint
        connecting = loop.create_connection(
            lambda: Connection(loop),
            endpoint.host,
            endpoint.port,
            ssl=self._ssl,
            server_hostname=endpoint.host if self._ssl is not None else None,
        )
        timeout = None if deadline is None else max(0.0, deadline - loop.time())
        try:
            _, protocol = await asyncio.wait_for(connecting, timeout)
        except asyncio.TimeoutError:
            raise ConnectFailedError(f"connecting timed out after {timeout:.3g} s") from None
        except OSError as exc:
            raise ConnectFailedError(str(exc) or type(exc).__name__) from exc
        return protocol

    def _release(self, connection: Connection) -> None:
        connection.finish()
        if self._loop is not None and connection.reusable and not self._closed:
            connection.idle_since = self._loop.time()
            self._idle.append(connection)
        else:
            connection.close()
        self._leased -= 1
        self._wake_one()

    def _wake_one(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return


def _close_all(idle: list[Connection], waiters: deque[asyncio.Future[None]]) -> None:
    for connection in idle:
        connection.close()
    for waiter in waiters:
        if not waiter.done():
            waiter.set_exception(TransportError("the client was closed"))


def _expire(waiter: asyncio.Future[None], limit: int) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"all {limit} connections stayed busy"))


def _checked(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """Header lines that cannot break the request: no CR, LF or NUL, latin-1 only."""
    for name, value in headers.items():
        text = name + value
        bad_name = not name or ":" in name or name != name.strip()
        if bad_name or "\r" in text or "\n" in text or "\0" in text or not _latin1(text):
            raise ChainsUsageError(f"header {name!r} has a value that cannot be sent: {value!r}")
    return list(headers.items())


def _latin1(text: str) -> bool:
    if text.isascii():
        return True
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True
