"""``DependencyClient``: how a chainlet calls one dependency chainlet over HTTP."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any

from chains_runtime.binary import decode_answer, pack
from chains_runtime.client.backoff import Backoff
from chains_runtime.client.binary_frames import BinaryFrameReader
from chains_runtime.client.connection import BodyTooLargeError, ConnectFailedError, TransportError
from chains_runtime.client.errors import (
    DeadlineExceededError,
    DependencyError,
    DependencyHTTPError,
    DependencyResponseTooLargeError,
    DependencyTimeoutError,
    DependencyUnavailableError,
    describe_size,
)
from chains_runtime.client.frames import FrameReader
from chains_runtime.client.pool import ConnectionPool
from chains_runtime.client.transport import Response, TransportFactory
from chains_runtime.client.url import join_path
from chains_runtime.context import DEADLINE, DeployedServiceDescriptor
from chains_runtime.definitions import (
    DEFAULT_CONCURRENCY_LIMIT,
    DEFAULT_MAX_FRAME_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT_SEC,
)
from chains_runtime.errors import ChainsUsageError
from chains_runtime.protocol import (
    JSON_CONTENT_TYPE,
    MSGPACK_CONTENT_TYPE,
    MSGPACK_STREAM_CONTENT_TYPE,
    REQUEST_ID_HEADER,
    RETRY_AFTER_HEADER,
    RETRYABLE_STATUS_CODES,
    RUN_REMOTE_PATH,
    SERVICE_TOKEN_HEADER,
    STREAM_CONTENT_TYPE,
    DataFrame,
    EndFrame,
    IncompleteStreamError,
    RemoteChainletError,
    decode_json_answer,
    encode_json,
    media_type,
    parse_error_envelope,
)

_DRAIN_TIMEOUT_SEC = 1.0
"""How long a finished stream waits for the end of its HTTP body, to keep the connection."""


class DependencyClient:
    """One pooled HTTP client for one dependency chainlet.

    ``call`` sends the ``run_remote`` arguments given (never filling omitted ones with ``null``)
    and returns the decoded JSON result; ``stream`` yields the items of a streamed result.

    Retries, with exponential backoff and jitter, happen only when the request did not reach the
    chainlet: a connection failure, or a 502/503/504 (a 503's ``Retry-After`` is honoured).
    A user error, a 4xx, any other 5xx and a timeout are never retried. ``retries=2`` means at
    most 3 attempts. ``timeout_sec`` bounds each attempt of ``call`` (connecting, sending and
    the whole answer) and, for ``stream``, the wait for the head and for each next piece.

    Create it once per dependency and reuse it (its keep-alive connections are pooled, at most
    ``concurrency_limit`` at once on each event loop that uses it); close it with ``aclose``.
    ``headers`` are sent with every request (e.g. an ``authorization`` header for an endpoint
    that is not a chainlet). A request is written at most once: a connection the server closed
    while idle is replaced before writing, and one closed after the request left fails the call.

    An answer longer than ``max_response_bytes``, or a stream frame longer than
    ``max_frame_bytes``, raises ``DependencyResponseTooLargeError`` (not retried) and closes its
    connection; a Content-Length over the limit fails before the body is read. ``transport``
    makes the HTTP layer (default: ``ConnectionPool``; ``StubBase`` uses httpx).

    ``use_binary`` sends the arguments as MessagePack (``binary_content_type``, by default
    ``application/x-msgpack``) and asks for MessagePack answers and streams; an answer is decoded
    by its content type, so a peer that answers JSON still works.
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
        headers: Mapping[str, str] | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
        transport: TransportFactory = ConnectionPool,
        use_binary: bool = False,
        binary_content_type: str = MSGPACK_CONTENT_TYPE,
    ) -> None:
        if retries < 0:
            raise ChainsUsageError(f"retries must be >= 0, got {retries}")
        if timeout_sec <= 0:
            raise ChainsUsageError(f"timeout_sec must be > 0, got {timeout_sec}")
        if concurrency_limit < 1:
            raise ChainsUsageError(f"concurrency_limit must be >= 1, got {concurrency_limit}")
        if max_response_bytes < 1 or max_frame_bytes < 1:
            raise ChainsUsageError(
                "max_response_bytes and max_frame_bytes must be >= 1, got "
                f"{max_response_bytes} and {max_frame_bytes}"
            )
        self.name = name
        self._arguments_label = f"the arguments of the call to {name!r}"
        # With an empty path (an endpoint that is not a chainlet) the URL is kept as given.
        self.url = join_path(base_url, path) if path else base_url
        self.retries = retries
        self.timeout_sec = timeout_sec
        self.max_response_bytes = max_response_bytes
        self.max_frame_bytes = max_frame_bytes
        self._backoff = backoff if backoff is not None else Backoff()
        self.use_binary = use_binary
        content_type = binary_content_type if use_binary else JSON_CONTENT_TYPE
        static = {"content-type": content_type, **(headers or {})}
        if service_token is not None:
            static[SERVICE_TOKEN_HEADER] = service_token
        self._pool = transport(self.url, headers=static, max_connections=concurrency_limit)

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
            max_response_bytes=options.max_response_bytes,
            max_frame_bytes=options.max_frame_bytes,
            use_binary=options.use_binary,
        )

    async def call(
        self,
        arguments: Mapping[str, Any] | None = None,
        *,
        request_id: str | None = None,
        timeout_sec: float | None = None,
    ) -> Any:
        """Call ``run_remote`` with ``arguments`` by name and return the decoded result."""
        if self.use_binary:
            body = pack(arguments if arguments is not None else {}, self._arguments_label)
            return await self.post_binary(body, request_id=request_id, timeout_sec=timeout_sec)
        body = encode_json(arguments if arguments is not None else {}, self._arguments_label)
        return await self.post_json(body, request_id=request_id, timeout_sec=timeout_sec)

    async def post_bytes(
        self,
        body: bytes,
        *,
        accept: str = JSON_CONTENT_TYPE,
        request_id: str | None = None,
        timeout_sec: float | None = None,
    ) -> bytes:
        """POST an encoded ``body`` (with retries) and return the body of the 2xx answer."""
        content, _ = await self._post(body, accept, request_id, timeout_sec)
        return content

    async def post_binary(
        self, body: bytes, *, request_id: str | None = None, timeout_sec: float | None = None
    ) -> Any:
        """POST an encoded MessagePack ``body`` (with retries) and return the decoded answer
        (MessagePack, or JSON when its content type says so)."""
        content, content_type = await self._post(
            body, MSGPACK_CONTENT_TYPE, request_id, timeout_sec
        )
        return decode_answer(content, content_type, f"dependency {self.name!r} at {self.url}")

    async def _post(
        self, body: bytes, accept: str, request_id: str | None, timeout_sec: float | None
    ) -> tuple[bytes, str | None]:
        """The body and content type of the 2xx answer to ``body``; else the error raised."""
        status, content, response = await self._send(
            body, request_id, timeout_sec, accept, stream=False
        )
        if 200 <= status < 300:
            return content, None if response is None else response.header("content-type")
        raise self._error(status, content)

    async def post_json(
        self, body: bytes, *, request_id: str | None = None, timeout_sec: float | None = None
    ) -> Any:
        """POST an encoded JSON ``body`` (with retries) and return the decoded JSON answer."""
        content = await self.post_bytes(body, request_id=request_id, timeout_sec=timeout_sec)
        return decode_json_answer(content, f"dependency {self.name!r} at {self.url}")

    async def post_chunks(
        self,
        body: bytes,
        *,
        accept: str = "*/*",
        request_id: str | None = None,
        timeout_sec: float | None = None,
    ) -> AsyncIterator[bytes]:
        """POST ``body`` and yield the answer's body as it arrives, in raw pieces.

        Only opening is retried; ``timeout_sec`` bounds the wait for each piece. A body cut
        before its end raises ``IncompleteStreamError``.
        """
        response, timeout = await self._open_stream(body, request_id, timeout_sec, accept)
        received = 0
        try:
            while (
                chunk := await self._next_chunk(response, timeout, f"{received} bytes")
            ) is not None:
                received += len(chunk)
                yield chunk
        finally:
            response.close()

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
        given = arguments if arguments is not None else {}
        if self.use_binary:
            body, accept = pack(given, self._arguments_label), MSGPACK_STREAM_CONTENT_TYPE
        else:
            body, accept = encode_json(given, self._arguments_label), STREAM_CONTENT_TYPE
        response, timeout = await self._open_stream(body, request_id, timeout_sec, accept)
        items = 0
        frames: FrameReader | BinaryFrameReader
        if media_type(response.header("content-type")) == MSGPACK_STREAM_CONTENT_TYPE:
            frames = BinaryFrameReader(self.name, self.url, self.max_frame_bytes)
        else:
            frames = FrameReader(self.name, self.url, self.max_frame_bytes)
        try:
            while (
                chunk := await self._next_chunk(response, timeout, f"{items} items")
            ) is not None:
                for frame in frames.feed(chunk):
                    if isinstance(frame, DataFrame):
                        items += 1
                        yield frame.data
                    elif isinstance(frame, EndFrame):
                        await _drain(response, min(timeout, _DRAIN_TIMEOUT_SEC))
                        return
                    else:
                        raise RemoteChainletError.from_detail(frame.error)
            last = frames.finish()  # a last frame without its newline
            if last is not None:
                if isinstance(last, DataFrame):
                    items += 1
                    yield last.data
                elif isinstance(last, EndFrame):
                    return
                else:
                    raise RemoteChainletError.from_detail(last.error)
        finally:
            response.close()
        raise IncompleteStreamError(
            f"stream from dependency {self.name!r} at {self.url} ended after {items} items "
            "without an end frame: the remote chainlet failed or the connection was cut"
        )

    async def aclose(self) -> None:
        await self._pool.aclose()

    async def __aenter__(self) -> DependencyClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def _send(
        self,
        body: bytes,
        request_id: str | None,
        timeout_sec: float | None,
        accept: str,
        *,
        stream: bool,
    ) -> tuple[int, bytes, Response | None]:
        """Send with retries: ``(status, body, the answer read)``, or, for a stream,
        ``(200, b"", the open answer)``.

        The body of an error status is always read (to see its envelope); the last answer is
        returned even if it is a 502/503/504.
        """
        headers: tuple[tuple[str, str], ...] = (
            (REQUEST_ID_HEADER, request_id or uuid.uuid4().hex),
            ("accept", accept),
        )
        timeout = self.timeout_sec if timeout_sec is None else timeout_sec
        deadline = DEADLINE.get()  # the call being served: its remaining budget is passed on
        attempts = self.retries + 1
        for attempt in range(attempts):
            last = attempt == attempts - 1
            attempt_timeout = timeout
            if deadline is not None:
                attempt_timeout = self._within_deadline(deadline, timeout)
            try:
                # The transport sends what is left of ``deadline`` once it has a connection.
                response = await self._pool.post(
                    body, headers=headers, timeout_sec=attempt_timeout, deadline=deadline
                )
                if stream and response.status == 200:
                    return 200, b"", response
                content = await response.read(self.max_response_bytes)
            except BodyTooLargeError as exc:
                raise DependencyResponseTooLargeError(
                    self.name,
                    self.url,
                    f"the answer {exc.what}, over max_response_bytes = "
                    f"{describe_size(exc.limit)}; the connection was closed",
                    exc.limit,
                ) from exc
            except ConnectFailedError as exc:
                delay = self._backoff.delay(attempt)
                if last or not _time_left(deadline, delay):
                    raise DependencyUnavailableError(
                        self.name,
                        self.url,
                        f"cannot connect after {attempt + 1} attempt(s): {exc}",
                    ) from exc
                await asyncio.sleep(delay)
                continue
            except TimeoutError as exc:
                if attempt_timeout < timeout or not _time_left(deadline, 0.0):
                    # the deadline, not the timeout, ended the wait
                    waited = f"waiting {attempt_timeout:.3g} s for its answer"
                    raise self._deadline_error(waited) from exc
                detail = f" ({exc})" if str(exc) else ""
                raise DependencyTimeoutError(
                    self.name, self.url, f"no answer within the timeout of {timeout:g} s{detail}"
                ) from exc
            except TransportError as exc:
                # The request may have reached the chainlet: not safe to retry.
                raise DependencyUnavailableError(
                    self.name, self.url, f"transport failed: {exc}"
                ) from exc
            status = response.status
            if last or status not in RETRYABLE_STATUS_CODES:
                return status, content, response
            if status != 503 and parse_error_envelope(content) is not None:
                # A chainlet's own 502 or 504 (a dependency it could not reach, a timeout, a
                # deadline that ran out): the call may have run there, and a deadline stays
                # gone. Only a 502/504 from a proxy, without an envelope, is retried.
                return status, content, response
            retry_after = response.header(RETRY_AFTER_HEADER) if status == 503 else None
            delay = self._backoff.delay(attempt, retry_after)
            if not _time_left(deadline, delay):  # no budget left for another attempt
                return status, content, response
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _within_deadline(self, deadline: float, timeout: float) -> float:
        """The timeout of an attempt bounded by ``deadline`` (not a millisecond left: an error)."""
        remaining = deadline - time.monotonic()
        if remaining < 0.001:
            raise self._deadline_error("before it could be called")
        return min(timeout, remaining)

    def _deadline_error(self, when: str) -> DeadlineExceededError:
        return DeadlineExceededError(
            self.name, self.url, f"the deadline of the call being served ran out {when}"
        )

    async def _open_stream(
        self, body: bytes, request_id: str | None, timeout_sec: float | None, accept: str
    ) -> tuple[Response, float]:
        """The open streaming answer, and the timeout that bounds the wait for each piece."""
        status, content, response = await self._send(
            body, request_id, timeout_sec, accept, stream=True
        )
        if response is None or status != 200:  # 200 is the only answer left open
            raise self._error(status, content)
        return response, self.timeout_sec if timeout_sec is None else timeout_sec

    async def _next_chunk(self, response: Response, timeout: float, progress: str) -> bytes | None:
        wait, deadline = timeout, DEADLINE.get()
        if deadline is not None:  # the deadline bounds the whole stream
            wait = min(timeout, deadline - time.monotonic())
            if wait <= 0:
                raise self._deadline_error(f"while streaming, after {progress}")
        try:
            return await response.next_chunk(wait)
        except TimeoutError as exc:
            if wait < timeout:
                raise self._deadline_error(f"while streaming, after {progress}") from exc
            raise DependencyTimeoutError(
                self.name,
                self.url,
                f"stream stalled past the timeout of {timeout:g} s after {progress}",
            ) from exc
        except TransportError as exc:
            raise IncompleteStreamError(
                f"stream from dependency {self.name!r} at {self.url} was cut after "
                f"{progress}: {exc}"
            ) from exc

    def _error(self, status: int, body: bytes) -> RemoteChainletError | DependencyError:
        detail = parse_error_envelope(body)
        if detail is not None:
            return RemoteChainletError.from_detail(detail)
        if status in RETRYABLE_STATUS_CODES:
            excerpt = body[:500].decode("utf-8", errors="replace").strip()
            return DependencyUnavailableError(
                self.name,
                self.url,
                f"HTTP {status} after {self.retries + 1} attempt(s)"
                + (f": {excerpt}" if excerpt else ""),
            )
        return DependencyHTTPError(self.name, self.url, status, body)


async def _drain(response: Response, timeout_sec: float) -> None:
    """Read the rest of a finished stream (its last chunk marker) so the connection is reused."""
    try:
        while await response.next_chunk(timeout_sec) is not None:
            pass
    except (TimeoutError, TransportError):
        pass  # the connection is closed instead


def _time_left(deadline: float | None, delay: float) -> bool:
    """Whether a retry after ``delay`` seconds still starts before ``deadline``."""
    return deadline is None or time.monotonic() + delay < deadline
