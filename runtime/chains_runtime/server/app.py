"""``ChainletApp``: the ASGI app that serves one chainlet (see ``protocol`` and docs/protocol.md).

- ``POST /run_remote``: the call (service token / API key checked, body size bounded, arguments
  validated, concurrency gated, result or NDJSON stream, error envelopes).
- ``GET /healthz``, ``GET /readyz``, ``GET /metrics``: operational endpoints. They need no
  token or key: probes and Prometheus scrapers reach them, and they reveal no payload or secret.

It is a plain ASGI app: a call costs a dict of the headers, one pydantic-core validation of the
body bytes, the user's ``run_remote``, one Rust serialisation of the result, and two ``send``s.
Each call is logged on ``chains_runtime.access`` and counted in ``/metrics``;
``current_request_id()`` holds its id while it runs. ``create_app`` (``server.fastapi_app``)
serves it inside a FastAPI app that publishes its OpenAPI contract and hands these paths to it
before FastAPI's routing.

Deadlines and cancellation (``server.cancellation``): a call runs, queueing included, under the
smaller of the caller's ``x-chains-deadline-ms`` budget and ``run_remote_timeout_sec`` (504
``DeadlineExceeded`` past it), and is cancelled when its client disconnects (recorded as 499).

Shutdown: ``drain()`` (called by the process on SIGTERM, and at the latest by the lifespan's
shutdown) makes new calls answer 503 ``ShuttingDown`` and ``/readyz`` answer 503, while calls in
flight finish; the lifespan's shutdown then closes the dependency provider (its ``aclose()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from time import monotonic, perf_counter
from typing import Any, Final

import anyio
import anyio.to_thread
import pydantic
from starlette.types import Message, Receive, Scope, Send

from chains_runtime.chainlet import ChainletBase
from chains_runtime.context import DEADLINE, REQUEST_ID, Environment
from chains_runtime.contract import (
    ALLOWED_HOSTS_ENV,
    CORS_ORIGINS_ENV,
    LIVENESS_PATH,
    READINESS_PATH,
)
from chains_runtime.finite_json import non_finite_in_request
from chains_runtime.injection import injecting
from chains_runtime.model_base import endpoint_name
from chains_runtime.protocol import (
    DEADLINE_HEADER,
    JSON_CONTENT_TYPE,
    MSGPACK_CONTENT_TYPE,
    RETRY_AFTER_HEADER,
    RUN_REMOTE_PATH,
    ErrorDetail,
)
from chains_runtime.server.access_log import AccessLog
from chains_runtime.server.asgi import (
    CONNECTION_CLOSE,
    JSON_CONTENT_TYPE_HEADER,
    REQUEST_ID_KEY,
    BodyTooLarge,
    ClientGone,
    Headers,
    header_value,
    is_json_content_type,
    read_body,
    send_response,
)
from chains_runtime.server.auth import Authenticator
from chains_runtime.server.binary_call import (
    MSGPACK_CONTENT_TYPE_HEADER,
    BinaryDecodeError,
    binary_arguments,
    binary_result_encoder,
)
from chains_runtime.server.cancellation import (
    MAX_BUDGET_DIGITS,
    BadDeadlineHeader,
    CallerGone,
    CallGuard,
    Watchlist,
    budget_of,
    deadline_exceeded,
    no_time_left,
)
from chains_runtime.server.config import ServerConfig
from chains_runtime.server.cors import CorsPolicy
from chains_runtime.server.errors import (
    encode_error,
    exception_detail,
    invalid_arguments,
    validation_detail,
)
from chains_runtime.server.gate import ConcurrencyGate, QueueFullError
from chains_runtime.server.hosts import HostCheck
from chains_runtime.server.injector import ServerInjector
from chains_runtime.server.metrics import METRICS_CONTENT_TYPE, ChainletMetrics, MetricsSource
from chains_runtime.server.negotiation import answers_binary, is_msgpack_content_type
from chains_runtime.server.request_id import request_id_of
from chains_runtime.server.signature import RunRemoteSpec
from chains_runtime.server.streaming import (
    ERROR,
    MSGPACK_FRAMING,
    NDJSON_FRAMING,
    Framing,
    StreamOutcome,
    send_stream,
)
from chains_runtime.server.websocket import WebSocketEndpoint, refuse_non_websocket_chainlet

logger = logging.getLogger(__name__)

CLIENT_GONE_STATUS: Final = 499
"""Recorded (never sent) when the client left before its request body was complete, or while
its call was queued or running (the call is then cancelled)."""

_METRICS_CONTENT_TYPE_HEADER = (b"content-type", METRICS_CONTENT_TYPE.encode("latin-1"))
_GET_METHODS = frozenset({"GET", "HEAD"})
_DEADLINE_KEY = DEADLINE_HEADER.encode("latin-1")
_JSON_ACCEPT = JSON_CONTENT_TYPE.encode("latin-1")


class ChainletApp:
    """The ASGI app of one chainlet (see the module docstring)."""

    def __init__(self, chainlet_cls: type[ChainletBase], config: ServerConfig) -> None:
        spec = RunRemoteSpec.from_chainlet(chainlet_cls)
        self.chainlet_cls = chainlet_cls
        self.name = chainlet_cls.__name__
        # What messages call the endpoint: a model's author wrote `predict`.
        self.endpoint = endpoint = endpoint_name(chainlet_cls)
        self._invalid_arguments = invalid_arguments(endpoint)
        self.config = config
        self.metrics = ChainletMetrics(self.name, queue_waiting=self._queue_waiting)
        provider = config.dependency_provider
        self._extra_metrics = provider if isinstance(provider, MetricsSource) else None
        self._access_log = AccessLog(self.name)
        self._auth = Authenticator(config)
        self._hosts = HostCheck(config.allowed_hosts)
        self._checks_host = self._hosts.checks
        self._cors = CorsPolicy(config.cors_origins) if config.cors_origins else None
        self._validate = spec.request_model.model_validate_json
        self._encode = spec.encode_result
        self._validate_binary = binary_arguments(spec.request_model)
        # The answer's encoder, content type and stream framing, by "answers in MessagePack".
        self._formats = (
            (self._encode, JSON_CONTENT_TYPE_HEADER, NDJSON_FRAMING),
            (
                binary_result_encoder(f"the result of {endpoint}"),
                MSGPACK_CONTENT_TYPE_HEADER,
                MSGPACK_FRAMING,
            ),
        )
        self._is_async = spec.is_async
        self._is_stream = spec.is_stream
        self._max_body = config.max_body_bytes
        self._own_limit = config.run_remote_timeout_sec
        self._watchlist = Watchlist(endpoint)
        self._retry_after = (RETRY_AFTER_HEADER.encode("latin-1"), b"%d" % config.retry_after_sec)
        self._is_healthy = getattr(chainlet_cls, "is_healthy", None)
        self._instance: ChainletBase | None = None
        self._call: Any = None
        self._init_error: BaseException | None = None
        self._gate: ConcurrencyGate | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._draining = False
        self._websocket = (
            WebSocketEndpoint(
                self.name,
                endpoint,
                config,
                auth=self._auth,
                hosts=self._hosts,
                cors=self._cors,
                metrics=self.metrics,
                access_log=self._access_log,
            )
            if spec.websocket is not None
            else None
        )
        self._routes = {
            LIVENESS_PATH: self._healthz,
            READINESS_PATH: self._readyz,
            "/metrics": self._metrics,
        }

    def _queue_waiting(self) -> int:
        return self._gate.waiting if self._gate is not None else 0

    @property
    def draining(self) -> bool:
        return self._draining

    def drain(self) -> None:
        """Refuse new calls (503 ``ShuttingDown``) and report not ready; calls in flight go on."""
        self._draining = True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            is_call = scope["path"] == RUN_REMOTE_PATH and scope["method"] == "POST"
            # A call's Host is checked in _run_remote, from the headers it reads anyway.
            if not is_call and self._checks_host and await self.refuse_host(scope, send):
                return
            if self._cors is not None:
                cors_send = await self._cors_send(scope, send)
                if cors_send is None:  # a preflight, answered
                    return
                send = cors_send
            if is_call:
                await self.serve_run_remote(scope, receive, send)
            else:
                await self._serve_operational(scope, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif self._websocket is None:  # a websocket to a chainlet that serves none: 404
            await refuse_non_websocket_chainlet(scope, receive, send, self.chainlet_cls)
        else:  # a websocket run_remote (see server.websocket)
            await self._websocket.serve(
                scope,
                receive,
                send,
                gate=self._gate,
                run_remote=self._call if self._instance is not None else None,
                draining=self._draining,
                init_error=self._init_error,
            )

    async def refuse_host(self, scope: Scope, send: Send) -> bool:
        """Answer 400 to a request whose ``Host`` the server does not serve (see
        ``server.hosts``); True when it did."""
        if self._hosts.allows(header_value(scope, b"host")):
            return False
        detail = self._host_not_allowed()
        await send_response(send, 400, encode_error(detail), [JSON_CONTENT_TYPE_HEADER])
        return True

    def _host_not_allowed(self) -> ErrorDetail:
        return ErrorDetail(
            type="HostNotAllowed",
            message="this server does not answer requests for that Host; allow the name in "
            f"the chainlet's allowed hosts ({ALLOWED_HOSTS_ENV})",
            chainlet=self.name,
            status=400,
        )

    async def _cors_send(self, scope: Scope, send: Send) -> Send | None:
        """``send`` adding the CORS headers for an allowed ``Origin``; None after answering a
        preflight (``OPTIONS``) itself."""
        cors = self._cors
        assert cors is not None
        origin = cors.allowed_origin(header_value(scope, b"origin"))
        if scope["method"] == "OPTIONS" and scope["path"] == RUN_REMOTE_PATH:
            if origin is None:
                detail = ErrorDetail(
                    type="OriginNotAllowed",
                    message=f"this origin may not call the chainlet ({CORS_ORIGINS_ENV})",
                    chainlet=self.name,
                    status=403,
                )
                await send_response(send, 403, encode_error(detail), [JSON_CONTENT_TYPE_HEADER])
            else:
                await send_response(send, 204, b"", cors.preflight_headers(origin))
            return None
        if origin is None:
            return send
        extra = cors.response_headers(origin)

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message["headers"], *extra]}
            await send(message)

        return send_with_cors

    # -- run_remote ----------------------------------------------------------------------

    async def serve_run_remote(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a ``POST /run_remote`` (with no CORS headers to add: see ``__call__``)."""
        start = perf_counter()
        headers: dict[bytes, bytes] = dict(scope["headers"])
        request_id, raw_id = request_id_of(headers.get(REQUEST_ID_KEY))
        token = REQUEST_ID.set(request_id)
        metrics = self.metrics
        metrics.in_flight += 1
        status, stream = 500, None
        try:
            status, stream = await self._run_remote(headers, raw_id, receive, send)
        finally:
            REQUEST_ID.reset(token)
            metrics.in_flight -= 1
            seconds = perf_counter() - start
            metrics.record(status, seconds)
            self._access_log.record(request_id, status, seconds, stream)

    async def _run_remote(
        self, headers: dict[bytes, bytes], raw_id: bytes, receive: Receive, send: Send
    ) -> tuple[int, StreamOutcome | None]:
        """Answer one call; the status sent, and how a stream ended."""
        if self._checks_host and not self._hosts.allows(headers.get(b"host")):
            return await self._send_error(send, raw_id, self._host_not_allowed()), None
        if self._draining:
            message = "chainlet is shutting down; retry on another replica"
            extra = [self._retry_after, CONNECTION_CLOSE]
            return await self._fail(send, raw_id, 503, "ShuttingDown", message, extra), None
        if not self._auth.allows(headers):
            message = "missing or invalid credentials"
            return await self._fail(send, raw_id, 401, "Unauthorized", message), None
        budget_header = headers.get(_DEADLINE_KEY)
        budget = deadline = None
        if budget_header is not None or self._own_limit is not None:
            try:
                budget = budget_of(budget_header, self._own_limit)
            except BadDeadlineHeader:
                shown = (budget_header or b"")[:40].decode("latin-1")
                message = (
                    f"{DEADLINE_HEADER} must be the remaining time budget in whole milliseconds "
                    f"(1 to {MAX_BUDGET_DIGITS} digits), got {shown!r}"
                )
                return await self._fail(send, raw_id, 400, "InvalidDeadline", message), None
            if budget is not None:
                deadline = monotonic() + budget
        binary = False  # a MessagePack body (server.negotiation)
        request_type = headers.get(b"content-type")
        if not is_json_content_type(request_type):
            binary = is_msgpack_content_type(request_type)
            if not binary:
                message = (
                    f"a call's body must be JSON, sent with content-type: {JSON_CONTENT_TYPE} "
                    f"(or MessagePack, with {MSGPACK_CONTENT_TYPE}); "
                    f"got {_shown(headers.get(b'content-type'))}"
                )
                return await self._fail(send, raw_id, 415, "UnsupportedMediaType", message), None
        try:
            body = await read_body(receive, headers.get(b"content-length"), self._max_body)
        except BodyTooLarge:
            message = f"request body is larger than {self._max_body} bytes"
            return await self._fail(send, raw_id, 413, "PayloadTooLarge", message), None
        except ClientGone:
            return CLIENT_GONE_STATUS, None
        # two substring and one regex search, usually (MessagePack may carry NaN)
        problem = None if binary else non_finite_in_request(body)
        if problem is not None:
            message = f"{self._invalid_arguments}: the request holds {problem}"
            return await self._fail(send, raw_id, 422, "ValidationError", message), None
        try:
            arguments = self._validate_binary(body) if binary else self._validate(body or b"{}")
        except pydantic.ValidationError as exc:
            detail = validation_detail(exc, self.name, self.endpoint)
            return await self._send_error(send, raw_id, detail), None
        except BinaryDecodeError as exc:
            message = f"{self._invalid_arguments}: the body is {exc}"
            return await self._fail(send, raw_id, 422, "ValidationError", message), None
        accept = headers.get(b"accept")
        encode, content_type, framing = self._formats[
            binary if accept is None else accept != _JSON_ACCEPT and answers_binary(accept, binary)
        ]
        gate = self._gate
        if self._instance is None or gate is None:
            message = "chainlet is not ready" + (
                f" (__init__ failed: {self._init_error!r})" if self._init_error else ""
            )
            retry = [self._retry_after]
            return await self._fail(send, raw_id, 503, "NotReady", message, retry), None
        kwargs = arguments.__dict__
        # Set even when None: uvicorn starts a pipelined request inside the previous one's
        # task, so it would inherit that one's deadline. The task's context ends with it.
        DEADLINE.set(deadline)
        # Queue and call run under the deadline, and are cancelled if the caller leaves.
        guard = CallGuard(receive, self._watchlist, deadline, budget)
        content = b""
        try:
            with guard:
                if deadline is not None and deadline <= monotonic():
                    raise no_time_left(self.endpoint)
                if not gate.try_acquire():
                    guard.watch()  # a queued call whose caller left must never start
                    await gate.acquire()
                if self._is_stream:
                    pass
                elif self._is_async:
                    try:
                        result = await self._call(**kwargs)
                    finally:
                        gate.release()
                    content = encode(result)
                else:
                    content = encode(await self._call_in_thread(gate, kwargs))
        except QueueFullError:
            self.metrics.queue_rejections += 1
            message = (
                f"{self.config.predict_concurrency} call(s) running and "
                f"{self.config.queue_size} queued; retry later"
            )
            retry = [self._retry_after]
            return await self._fail(send, raw_id, 503, "Overloaded", message, retry), None
        except CallerGone:
            return CLIENT_GONE_STATUS, None
        except Exception as exc:
            detail = self._exception_detail(exc, headers, raw_id)
            return await self._send_error(send, raw_id, detail), None
        if self._is_stream:
            stream = self._stream(
                gate, kwargs, deadline, budget, headers, raw_id, receive, send, framing
            )
            return 200, await stream
        await send_response(send, 200, content, [content_type, (REQUEST_ID_KEY, raw_id)])
        return 200, None

    async def _call_in_thread(self, gate: ConcurrencyGate, kwargs: dict[str, Any]) -> Any:
        """A sync ``run_remote`` in the gate's slot, which is freed when the call ends.

        It runs on one of ``predict_concurrency`` threads, in this context (so
        ``current_request_id()``, the deadline and the stubs see the request). A thread
        cannot be interrupted: when the call is cancelled (its caller left, its deadline
        passed) the caller is answered at once, but the slot stays taken until the thread
        returns, so no more threads run than ``predict_concurrency``.
        """
        assert self._executor is not None  # made at start-up for a sync run_remote
        context = contextvars.copy_context()
        future = self._executor.submit(functools.partial(context.run, self._call, **kwargs))
        try:
            return await asyncio.wrap_future(future)
        finally:
            if future.done():  # finished, or cancelled before its thread started
                gate.release()
            else:
                future.add_done_callback(_release_from_thread(gate, asyncio.get_running_loop()))

    async def _stream(
        self,
        gate: ConcurrencyGate,
        kwargs: dict[str, Any],
        deadline: float | None,
        budget: float | None,
        headers: dict[bytes, bytes],
        raw_id: bytes,
        receive: Receive,
        send: Send,
        framing: Framing = NDJSON_FRAMING,
    ) -> StreamOutcome:
        released = False

        def release() -> None:  # once, from whichever path comes first
            nonlocal released
            if not released:
                released = True
                gate.release()

        try:
            stream = self._call(**kwargs)
        except BaseException:
            release()
            raise
        try:
            outcome = await send_stream(
                stream,
                receive=receive,
                send=send,
                headers=[framing.content_type, (REQUEST_ID_KEY, raw_id)],
                error_frame=lambda exc: self._error_frame(exc, headers, raw_id, framing),
                finished=release,
                deadline=deadline,
                expired=lambda: deadline_exceeded(budget or 0.0, self.endpoint),
                framing=framing,
            )
        finally:
            release()
            with anyio.CancelScope(shield=True):  # runs the generator's finally
                try:
                    await stream.aclose()
                except Exception:
                    logger.exception("closing the %s stream of %s failed", self.endpoint, self.name)
        if outcome == ERROR:
            self.metrics.stream_errors += 1
        return outcome

    def _error_frame(
        self,
        exc: Exception,
        headers: dict[bytes, bytes],
        raw_id: bytes,
        framing: Framing = NDJSON_FRAMING,
    ) -> bytes:
        detail = self._exception_detail(exc, headers, raw_id)
        return framing.error(detail.model_copy(update={"request_id": _text(raw_id)}))

    def _exception_detail(
        self, exc: Exception, headers: dict[bytes, bytes], raw_id: bytes
    ) -> ErrorDetail:
        """The envelope of an exception from ``run_remote``, logged with its traceback.

        Callers with the service token (other chainlets) get the traceback; outside callers
        only where ``expose_tracebacks`` is on (``chains-run``), else it stays in this log."""
        detail = exception_detail(exc, self.name, include_traceback=True)
        request_id = _text(raw_id)
        if detail.chainlet == self.name and detail.traceback is not None:  # raised here
            logger.error(
                "%s of %s raised %s (request_id=%s)",
                self.endpoint,
                self.name,
                detail.type,
                request_id,
                exc_info=exc,
            )
        shown = self.config.expose_tracebacks or (
            self.config.include_traceback and self._auth.is_internal(headers)
        )
        if shown or detail.traceback is None:
            return detail
        if detail.chainlet != self.name:
            logger.error(
                "dependency %s failed with %s (request_id=%s); its traceback:\n%s",
                detail.chainlet,
                detail.type,
                request_id,
                detail.traceback.rstrip(),
            )
        return detail.model_copy(update={"traceback": None})

    async def _fail(
        self,
        send: Send,
        raw_id: bytes,
        status: int,
        type_: str,
        message: str,
        extra: Headers | None = None,
    ) -> int:
        detail = ErrorDetail(type=type_, message=message, chainlet=self.name, status=status)
        return await self._send_error(send, raw_id, detail, extra)

    async def _send_error(
        self, send: Send, raw_id: bytes, detail: ErrorDetail, extra: Headers | None = None
    ) -> int:
        headers = [JSON_CONTENT_TYPE_HEADER, (REQUEST_ID_KEY, raw_id)]
        if extra:
            headers += extra
        detail = detail.model_copy(update={"request_id": _text(raw_id)})
        await send_response(send, detail.status, encode_error(detail), headers)
        return detail.status

    # -- operational endpoints -------------------------------------------------------------

    async def _serve_operational(self, scope: Scope, send: Send) -> None:
        path = scope["path"]
        route = self._routes.get(path)
        if route is None and path != RUN_REMOTE_PATH:
            detail = ErrorDetail(
                type="NotFound", message=f"no endpoint {path}", chainlet=self.name, status=404
            )
            await send_response(send, 404, encode_error(detail), [JSON_CONTENT_TYPE_HEADER])
            return
        if route is None or scope["method"] not in _GET_METHODS:
            allowed = b"POST" if route is None else b"GET, HEAD"
            detail = ErrorDetail(
                type="MethodNotAllowed",
                message=f"{path} accepts {allowed.decode()}, not {scope['method']}",
                chainlet=self.name,
                status=405,
            )
            headers = [JSON_CONTENT_TYPE_HEADER, (b"allow", allowed)]
            await send_response(send, 405, encode_error(detail), headers)
            return
        status, body, content_type = await route()
        await send_response(send, status, body, [content_type])

    async def _healthz(self) -> tuple[int, bytes, tuple[bytes, bytes]]:
        return 200, b'{"status":"alive"}', JSON_CONTENT_TYPE_HEADER

    async def _readyz(self) -> tuple[int, bytes, tuple[bytes, bytes]]:
        if self._draining:
            return 503, b'{"status":"draining"}', JSON_CONTENT_TYPE_HEADER
        if self._init_error is not None:  # final: tells a launcher to stop waiting
            return 503, b'{"status":"failed"}', JSON_CONTENT_TYPE_HEADER
        if await self._is_ready():
            return 200, b'{"status":"ready"}', JSON_CONTENT_TYPE_HEADER
        return 503, b'{"status":"not ready"}', JSON_CONTENT_TYPE_HEADER

    async def _metrics(self) -> tuple[int, bytes, tuple[bytes, bytes]]:
        text = self.metrics.render()
        if self._extra_metrics is not None:
            text += self._extra_metrics.render_metrics()
        return 200, text.encode("utf-8"), _METRICS_CONTENT_TYPE_HEADER

    async def _is_ready(self) -> bool:
        instance, is_healthy = self._instance, self._is_healthy
        if instance is None:
            return False
        if is_healthy is None:
            return True
        try:
            if inspect.iscoroutinefunction(is_healthy):
                result = await is_healthy(instance)
            else:
                result = await anyio.to_thread.run_sync(is_healthy, instance)
        except Exception:
            logger.exception("is_healthy of chainlet %s raised", self.name)
            return False
        return bool(result)

    # -- lifespan ---------------------------------------------------------------------------

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self._startup()
                except Exception as exc:  # __init__ failures are caught inside: this is worse
                    await send({"type": "lifespan.startup.failed", "message": repr(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self._shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _startup(self) -> None:
        config = self.config
        self._watchlist.bind(asyncio.get_running_loop())
        self._gate = ConcurrencyGate(config.predict_concurrency, config.queue_size)
        if not self._is_async:
            self._executor = ThreadPoolExecutor(
                config.predict_concurrency, thread_name_prefix=f"{self.name}.{self.endpoint}"
            )
        try:  # in a thread: a slow __init__ must not block the loop (healthz answers meanwhile)
            instance = await anyio.to_thread.run_sync(self._build)
        except Exception as exc:
            self._init_error = exc
            logger.exception("chainlet %s failed to initialize", self.name)
            return
        self._call = instance.run_remote  # type: ignore[attr-defined]
        self._instance = instance

    def _build(self) -> ChainletBase:
        config = self.config
        injector = ServerInjector(
            secrets=config.load_secrets(self.chainlet_cls.remote_config.assets.secret_keys),
            looked_in=config.secret_sources,
            data_dir=config.data_dir,
            environment=Environment(name=config.environment) if config.environment else None,
            chainlet_to_service=config.chainlet_to_service,
            dependency_provider=config.dependency_provider,
        )
        with injecting(injector):
            return self.chainlet_cls()

    async def _shutdown(self) -> None:
        """After uvicorn let the calls in flight finish: close what the chainlet used."""
        self.drain()
        close = getattr(self.config.dependency_provider, "aclose", None)
        if close is not None:
            try:
                await close()
            except Exception:
                logger.exception("closing the dependency clients of %s failed", self.name)
        if self._executor is not None:
            self._executor.shutdown(wait=False)


def _release_from_thread(
    gate: ConcurrencyGate, loop: asyncio.AbstractEventLoop
) -> Callable[[Future[Any]], None]:
    """A done-callback of a cancelled sync call's thread: free its slot on the loop."""

    def release(_: Future[Any]) -> None:
        with contextlib.suppress(RuntimeError):  # a closed loop has nothing left to gate
            loop.call_soon_threadsafe(gate.release)

    return release


def _text(raw: bytes) -> str:
    return raw.decode("latin-1")


def _shown(value: bytes | None) -> str:
    if value is None:
        return "no content-type"
    return repr(value[:100].decode("latin-1"))
