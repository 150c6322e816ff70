"""What ``DependencyClient`` needs from the HTTP layer under it, as structural types.

Chainlet hops use ``pool.ConnectionPool`` (asyncio + httptools, the fast path); ``StubBase``
endpoints use ``httpx_transport.HttpxTransport`` (TLS settings and proxies). Both raise the
same exceptions (``connection.ConnectFailedError``, ``TransportError``, ``BodyTooLargeError``,
``TimeoutError``), so the client's retry and error rules are the same over either.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol


class Response(Protocol):
    """The status and headers of an answer; its body is read once (``read`` or ``next_chunk``)."""

    status: int

    def header(self, name: str) -> str | None: ...

    async def read(self, max_bytes: int | None = None) -> bytes: ...

    async def next_chunk(self, timeout_sec: float | None) -> bytes | None: ...

    def close(self) -> None: ...


class Transport(Protocol):
    """POSTs to one URL over pooled connections.

    ``deadline`` (a ``time.monotonic()`` time) is sent as ``DEADLINE_HEADER``, computed as late
    as the transport can (after waiting for a connection); none left raises ``TimeoutError``.
    """

    async def post(
        self,
        body: bytes,
        *,
        headers: Iterable[tuple[str, str]] = (),
        timeout_sec: float | None = None,
        deadline: float | None = None,
    ) -> Response: ...

    async def aclose(self) -> None: ...


class TransportFactory(Protocol):
    """Makes the transport of one client: its URL, the headers of every request, its size."""

    def __call__(
        self, url: str, *, headers: Mapping[str, str], max_connections: int
    ) -> Transport: ...
