"""``DependencyClient``: how a chainlet calls one dependency chainlet over HTTP."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any

import httpx

from chains_runtime.client.backoff import Backoff
from chains_runtime.client.errors import (
    DependencyError,
    DependencyTimeoutError,
    DependencyUnavailableError,
)
from chains_runtime.context import DeployedServiceDescriptor
from chains_runtime.definitions import DEFAULT_CONCURRENCY_LIMIT, DEFAULT_TIMEOUT_SEC
from chains_runtime.errors import ChainsUsageError
from chains_runtime.protocol import (
    JSON_CONTENT_TYPE,
    REQUEST_ID_HEADER,
    RETRY_AFTER_HEADER,
    RETRYABLE_STATUS_CODES,
    RUN_REMOTE_PATH,
    SERVICE_TOKEN_HEADER,
    STREAM_CONTENT_TYPE,
    DataFrame,
    EndFrame,
    IncompleteStreamError,
    ProtocolError,
    RemoteChainletError,
    encode_json,
    parse_error_envelope,
    parse_frame,
)

_CONNECT_FAILURES = (httpx.ConnectError, httpx.ConnectTimeout)


class DependencyClient:
    """One pooled HTTP client for one dependency chainlet.

    ``call`` sends the ``run_remote`` arguments given (never filling omitted ones with ``null``)
    and returns the decoded JSON result; ``stream`` yields the items of a streamed result.

    Retries, with exponential backoff and jitter, happen only when the request did not reach the
    chainlet: a connection failure, or a 502/503/504 (a 503's ``Retry-After`` is honoured).
    A user error, a 4xx, any other 5xx and a timeout are never retried. ``retries=2`` means at
    most 3 attempts. Create it once per dependency and reuse it; close it with ``aclose``.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        retries: int = 1,
        timeout_sec: float = DEFAULT_TIMEOUT_SEC,
        concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
        service_token: str | None = None,
        backoff: Backoff | None = None,
        path: str = RUN_REMOTE_PATH,
    ) -> None:
        if retries < 0:
            raise ChainsUsageError(f"retries must be >= 0, got {retries}")
        if timeout_sec <= 0:
            raise ChainsUsageError(f"timeout_sec must be > 0, got {timeout_sec}")
        if concurrency_limit < 1:
            raise ChainsUsageError(f"concurrency_limit must be >= 1, got {concurrency_limit}")
        self.name = name
        self.url = base_url.rstrip("/") + path
        self.retries = retries
        self._backoff = backoff if backoff is not None else Backoff()
        headers = {"content-type": JSON_CONTENT_TYPE}
        if service_token is not None:
            headers[SERVICE_TOKEN_HEADER] = service_token
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(timeout_sec),
            limits=httpx.Limits(
                max_connections=concurrency_limit,
                max_keepalive_connections=concurrency_limit,
            ),
        )

    @classmethod
    def from_descriptor(
        cls,
        descriptor: DeployedServiceDescriptor,
        *,
        service_token: str | None = None,
        backoff: Backoff | None = None,
    ) -> DependencyClient:
        """A client for a deployed dependency; ``predict_url`` may end in ``/run_remote``."""
        options = descriptor.options
        return cls(
            descriptor.name,
            descriptor.predict_url.rstrip("/").removesuffix(RUN_REMOTE_PATH),
            retries=options.retries,
            timeout_sec=options.timeout_sec,
            concurrency_limit=options.concurrency_limit,
            service_token=service_token,
            backoff=backoff,
        )

    async def call(
        self,
        arguments: Mapping[str, Any] | None = None,
        *,
        request_id: str | None = None,
        timeout_sec: float | None = None,
    ) -> Any:
        """Call ``run_remote`` with ``arguments`` by name and return the decoded JSON result."""
        request = self._build(arguments, request_id, timeout_sec, JSON_CONTENT_TYPE)
        response = await self._send(request, stream=False)
        if 200 <= response.status_code < 300:
            if not response.content:
                return None
            try:
                return json.loads(response.content)
            except ValueError as exc:
                raise ProtocolError(
                    f"dependency {self.name!r} at {self.url} answered with a body that is not JSON"
                ) from exc
        raise self._error(response.status_code, response.content)

    async def stream(
        self,
        arguments: Mapping[str, Any] | None = None,
        *,
        request_id: str | None = None,
        timeout_sec: float | None = None,
    ) -> AsyncIterator[Any]:
        """Call a streaming ``run_remote`` and yield its items.

        Raises ``RemoteChainletError`` on an error frame and ``IncompleteStreamError`` when the
        stream stops without its end frame. Only opening the stream is retried.
        """
        request = self._build(arguments, request_id, timeout_sec, STREAM_CONTENT_TYPE)
        response = await self._send(request, stream=True)
        items = 0
        try:
            if response.status_code != 200:
                raise self._error(response.status_code, await response.aread())
            async for line in response.aiter_lines():
                if not line:
                    continue
                frame = parse_frame(line)
                if isinstance(frame, DataFrame):
                    items += 1
                    yield frame.data
                elif isinstance(frame, EndFrame):
                    return
                else:
                    raise RemoteChainletError.from_detail(frame.error)
        except httpx.TimeoutException as exc:
            raise DependencyTimeoutError(
                self.name, self.url, f"stream stalled past the timeout after {items} items"
            ) from exc
        except httpx.TransportError as exc:
            raise IncompleteStreamError(
                f"stream from dependency {self.name!r} at {self.url} was cut after {items} "
                f"items: {exc or type(exc).__name__}"
            ) from exc
        finally:
            await response.aclose()
        raise IncompleteStreamError(
            f"stream from dependency {self.name!r} at {self.url} ended after {items} items "
            "without an end frame: the remote chainlet failed or the connection was cut"
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def __aenter__(self) -> DependencyClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _build(
        self,
        arguments: Mapping[str, Any] | None,
        request_id: str | None,
        timeout_sec: float | None,
        accept: str,
    ) -> httpx.Request:
        # Encoded once; a retry re-sends the same bytes.
        body = encode_json(arguments if arguments is not None else {})
        headers = {REQUEST_ID_HEADER: request_id or uuid.uuid4().hex, "accept": accept}
        if timeout_sec is None:
            return self._client.build_request("POST", self.url, content=body, headers=headers)
        return self._client.build_request(
            "POST", self.url, content=body, headers=headers, timeout=httpx.Timeout(timeout_sec)
        )

    async def _send(self, request: httpx.Request, *, stream: bool) -> httpx.Response:
        """Send with retries; return the last response (possibly a 502/503/504)."""
        attempts = self.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = await self._client.send(request, stream=stream)
            except _CONNECT_FAILURES as exc:
                if last:
                    raise DependencyUnavailableError(
                        self.name,
                        self.url,
                        f"cannot connect after {attempts} attempt(s): {exc or type(exc).__name__}",
                    ) from exc
                await asyncio.sleep(self._backoff.delay(attempt))
                continue
            except httpx.TimeoutException as exc:
                raise DependencyTimeoutError(
                    self.name, self.url, f"no answer within the timeout ({type(exc).__name__})"
                ) from exc
            except httpx.TransportError as exc:
                # The request may have reached the chainlet: not safe to retry.
                raise DependencyUnavailableError(
                    self.name, self.url, f"transport failed: {exc or type(exc).__name__}"
                ) from exc
            status = response.status_code
            if last or status not in RETRYABLE_STATUS_CODES:
                return response
            if status == 502 and await _passes_on_a_chainlet_error(response):
                # A chainlet answered 502 for its own dependency's error (possibly a
                # user error further down the chain): running it again would re-run
                # that work. Only a 502 from a proxy, without an envelope, is retried.
                return response
            retry_after = response.headers.get(RETRY_AFTER_HEADER) if status == 503 else None
            await response.aclose()
            await asyncio.sleep(self._backoff.delay(attempt, retry_after))
        raise AssertionError("unreachable")  # pragma: no cover

    def _error(self, status: int, body: bytes) -> RemoteChainletError | DependencyError:
        detail = parse_error_envelope(body)
        if detail is not None:
            return RemoteChainletError.from_detail(detail)
        excerpt = body[:500].decode("utf-8", errors="replace").strip()
        if status in RETRYABLE_STATUS_CODES:
            return DependencyUnavailableError(
                self.name,
                self.url,
                f"HTTP {status} after {self.retries + 1} attempt(s)"
                + (f": {excerpt}" if excerpt else ""),
            )
        return RemoteChainletError(
            chainlet=self.name,
            type=f"HTTP {status}",
            message=excerpt or "(no error envelope in the response)",
            status=status,
        )


async def _passes_on_a_chainlet_error(response: httpx.Response) -> bool:
    return parse_error_envelope(await response.aread()) is not None
