"""The HTTP layer of ``StubBase`` endpoints: httpx, for TLS settings and proxies.

External model endpoints may sit behind a corporate proxy and need a private CA or a client
certificate; httpx does proxies (``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and
``NO_PROXY`` from the environment, CONNECT tunnels for ``https://``) and TLS right. Its CPU cost
(about 0.5 ms per call, against 40 µs for ``ConnectionPool``) does not matter against a model
server's answer time, so chainlet hops keep ``ConnectionPool`` and never use a proxy.

The transport has ``ConnectionPool``'s interface and failures (see ``transport``), so the
dependency client's retry, timeout and size rules apply unchanged. httpx clients, like asyncio
connections, belong to one event loop: one client is kept per loop that uses the transport.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from typing import Any, TypeVar

import httpx

from chains_runtime.client.connection import BodyTooLargeError, ConnectFailedError, TransportError
from chains_runtime.client.headers import checked_headers, declared_too_large
from chains_runtime.client.pool import DEFAULT_KEEPALIVE_EXPIRY_SEC, deadline_budget
from chains_runtime.protocol import DEADLINE_HEADER

T = TypeVar("T")


class TLSVerificationError(TransportError):
    """The endpoint's certificate was not trusted (not retried: trying again cannot help)."""


class HttpxTransport:
    """POSTs to ``url`` with httpx; ``ssl_context`` verifies ``https://`` endpoints.

    ``client_cert_hint``: an ``https://`` endpoint without a client certificate, whose failures
    before the answer mention that one may be required."""

    def __init__(
        self,
        url: str,
        *,
        headers: Mapping[str, str],
        max_connections: int,
        ssl_context: ssl.SSLContext | None = None,
        client_cert_hint: bool = False,
    ) -> None:
        self.url = url
        self._client_cert_hint = client_cert_hint
        # As ``ConnectionPool`` does; a compressed answer is still decoded (and counted decoded).
        self._headers = dict(checked_headers({"accept-encoding": "identity", **headers}))
        self._ssl = ssl_context if ssl_context is not None else ssl.create_default_context()
        self._limits = httpx.Limits(
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            keepalive_expiry=DEFAULT_KEEPALIVE_EXPIRY_SEC,
        )
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    async def post(
        self,
        body: bytes,
        *,
        headers: Iterable[tuple[str, str]] = (),
        timeout_sec: float | None = None,
        deadline: float | None = None,
    ) -> HttpxResponse:
        loop = asyncio.get_running_loop()
        client = self._client(loop)
        request_headers = [*self._headers.items(), *checked_headers(dict(headers))]
        if deadline is not None:
            # httpx waits for a connection inside ``send``: the budget is computed just before.
            request_headers.append((DEADLINE_HEADER, deadline_budget(deadline)))
        request = client.build_request("POST", self.url, content=body, headers=request_headers)
        deadline = None if timeout_sec is None else loop.time() + timeout_sec
        try:
            response = await _mapped(client.send(request, stream=True), timeout_sec)
        except (ConnectFailedError, TLSVerificationError):
            raise
        except TransportError as exc:
            if not self._client_cert_hint:
                raise
            # A server that requires a client certificate refuses it after the TLS 1.3
            # handshake: the client sees only a reset or a broken pipe.
            raise TransportError(
                f"{exc} (if the endpoint requires a client certificate, give it with "
                "client_cert=...)"
            ) from exc
        return HttpxResponse(response, loop, deadline)

    async def aclose(self) -> None:
        running = asyncio.get_running_loop()
        clients, self._clients = self._clients, {}
        for loop, client in clients.items():
            if loop is running:
                await client.aclose()
            elif not loop.is_closed():
                closing = client.aclose()
                try:
                    asyncio.run_coroutine_threadsafe(closing, loop)
                except RuntimeError:  # it closed meanwhile: its sockets went with it
                    closing.close()

    def _client(self, loop: asyncio.AbstractEventLoop) -> httpx.AsyncClient:
        client = self._clients.get(loop)
        if client is None:
            for other in [other for other in self._clients if other.is_closed()]:
                del self._clients[other]
            client = httpx.AsyncClient(
                verify=self._ssl,
                limits=self._limits,
                timeout=None,  # the deadline of each call bounds it (see ``_mapped``)
                trust_env=True,  # the proxy variables
                follow_redirects=False,
            )
            self._clients[loop] = client
        return client


class HttpxResponse:
    """An httpx answer with ``pool.Response``'s interface."""

    def __init__(
        self, response: httpx.Response, loop: asyncio.AbstractEventLoop, deadline: float | None
    ) -> None:
        self.status = response.status_code
        self._response = response
        self._loop = loop
        self._deadline = deadline
        self._pieces: AsyncIterator[bytes] | None = response.aiter_bytes()
        self._closing: set[asyncio.Task[None]] = set()

    def header(self, name: str) -> str | None:
        values = self._response.headers.get_list(name)
        return values[-1] if values else None

    async def read(self, max_bytes: int | None = None) -> bytes:
        try:
            too_large = declared_too_large(self._response.headers.get("content-length"), max_bytes)
            if too_large is not None:
                raise too_large
            remaining = None
            if self._deadline is not None:
                remaining = max(0.0, self._deadline - self._loop.time())
            return await _mapped(self._read_all(max_bytes), remaining)
        finally:
            self._pieces = None
            await self._response.aclose()

    async def next_chunk(self, timeout_sec: float | None) -> bytes | None:
        pieces = self._pieces
        if pieces is None:
            return None
        try:
            return await _mapped(anext(pieces), timeout_sec)
        except StopAsyncIteration:
            self.close()
            return None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._pieces = None
        if not self._response.is_closed:
            task = self._loop.create_task(self._response.aclose())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def _read_all(self, max_bytes: int | None) -> bytes:
        parts: list[bytes] = []
        received = 0
        async for piece in self._response.aiter_bytes():
            received += len(piece)
            if max_bytes is not None and received > max_bytes:
                raise BodyTooLargeError(max_bytes, received, declared=False)
            parts.append(piece)
        return b"".join(parts)


async def _mapped(step: Awaitable[T], timeout_sec: float | None) -> T:
    """Await ``step`` within ``timeout_sec``, with httpx's errors as the pool's."""
    task = asyncio.ensure_future(step)
    # Not ``asyncio.wait_for``: before Python 3.12 it can swallow a cancellation that arrives
    # as ``step`` finishes (see ``pool._LoopPool._connect``).
    try:
        done, _ = await asyncio.wait((task,), timeout=timeout_sec)
    except BaseException:
        _abandon(task)
        raise
    if not done:
        _abandon(task)
        raise TimeoutError()
    try:
        return task.result()
    except httpx.LocalProtocolError:
        # h11's message quotes the offending header value, which may be a secret.
        raise TransportError(
            "the request could not be sent: a header was refused as not valid HTTP"
        ) from None
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ProxyError) as exc:
        if _certificate_rejected(exc):
            raise TLSVerificationError(
                f"the endpoint's TLS certificate is not trusted ({_reason(exc)}); give the CA "
                "that signed it with ca_bundle=..."
            ) from exc
        raise ConnectFailedError(_reason(exc)) from exc
    except httpx.TransportError as exc:
        raise TransportError(_reason(exc)) from exc


def _abandon(task: asyncio.Future[Any]) -> None:
    """Cancel a step nobody waits for; close the answer it may have got meanwhile."""
    task.cancel()
    task.add_done_callback(_close_if_answered)


def _close_if_answered(task: asyncio.Future[Any]) -> None:
    if task.cancelled() or task.exception() is not None:
        return
    result = task.result()
    if isinstance(result, httpx.Response):
        closing = asyncio.ensure_future(result.aclose())
        _CLOSING.add(closing)
        closing.add_done_callback(_CLOSING.discard)


_CLOSING: set[asyncio.Future[None]] = set()
"""Answers being closed after their caller left (a reference keeps the task alive)."""


def _certificate_rejected(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)


def _reason(exc: BaseException) -> str:
    """The message of ``exc``, else of what caused it (httpx's ``ReadError`` may have none)."""
    seen: BaseException | None = exc
    while seen is not None:
        if str(seen):
            return str(seen) if seen is exc else f"{type(exc).__name__}: {seen}"
        seen = seen.__cause__ or seen.__context__
    return type(exc).__name__
