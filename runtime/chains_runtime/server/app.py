"""``create_app``: the ASGI app that serves one chainlet (see ``protocol`` and docs/protocol.md).

- ``POST /run_remote``: the call (service token / API key checked, body size bounded, arguments
  validated, concurrency gated, result or NDJSON stream, error envelopes).
- ``GET /healthz``, ``GET /readyz``, ``GET /metrics``: operational endpoints. They need no
  token or key: probes and Prometheus scrapers reach them, and they reveal no payload or secret.

It is a plain ASGI app rather than a FastAPI one: a call costs a dict of the headers, one
pydantic-core validation of the body bytes, the user's ``run_remote``, one Rust serialisation of
the result, and two ``send``s. Each call is logged on ``chains_runtime.access`` and counted in
``/metrics``; ``current_request_id()`` holds its id while it runs.

Shutdown: ``drain()`` (called by the process on SIGTERM, and at the latest by the lifespan's
shutdown) makes new calls answer 503 ``ShuttingDown`` and ``/readyz`` answer 503, while calls in
flight finish; the lifespan's shutdown then closes the dependency provider (its ``aclose()``).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter
from typing import Any, Final

import anyio
import anyio.to_thread
import pydantic
from starlette.types import Receive, Scope, Send

from chains_runtime.chainlet import ChainletBase
from chains_runtime.context import REQUEST_ID, Environment
from chains_runtime.injection import injecting
from chains_runtime.protocol import (
    RETRY_AFTER_HEADER,
    RUN_REMOTE_PATH,
    STREAM_CONTENT_TYPE,
    ErrorDetail,
    encode_error_frame,
)
from chains_runtime.server.access_log import AccessLog
from chains_runtime.server.asgi import (
    CONNECTION_CLOSE,
    JSON_CONTENT_TYPE_HEADER,
    REQUEST_ID_KEY,
    BodyTooLarge,
    ClientGone,
    Headers,
    read_body,
    send_response,
)
from chains_runtime.server.auth import Authenticator
from chains_runtime.server.config import ServerConfig
from chains_runtime.server.errors import encode_error, exception_detail, validation_detail
from chains_runtime.server.gate import ConcurrencyGate, QueueFullError
from chains_runtime.server.injector import ServerInjector
from chains_runtime.server.metrics import METRICS_CONTENT_TYPE, ChainletMetrics, MetricsSource
from chains_runtime.server.request_id import request_id_of
from chains_runtime.server.signature import RunRemoteSpec
from chains_runtime.server.streaming import ERROR, StreamOutcome, send_stream

logger = logging.getLogger(__name__)

CLIENT_GONE_STATUS: Final = 499
"""Recorded (never sent) when the client left before its request body was complete."""

_STREAM_CONTENT_TYPE_HEADER = (b"content-type", STREAM_CONTENT_TYPE.encode("latin-1"))
_METRICS_CONTENT_TYPE_HEADER = (b"content-type", METRICS_CONTENT_TYPE.encode("latin-1"))
_GET_METHODS = frozenset({"GET", "HEAD"})


def create_app(chainlet_cls: type[ChainletBase], *, config: ServerConfig) -> ChainletApp:
    """Serve ``chainlet_cls``; the request model and result encoder are derived now, the
    instance is built at start-up (the ASGI lifespan) with the config's secrets and
    dependencies."""
    return ChainletApp(chainlet_cls, config)


class ChainletApp:
    """The ASGI app of one chainlet (see the module docstring)."""

    def __init__(self, chainlet_cls: type[ChainletBase], config: ServerConfig) -> None:
        spec = RunRemoteSpec.from_chainlet(chainlet_cls)
        self.chainlet_cls = chainlet_cls
        self.name = chainlet_cls.__name__
        self.config = config
        self.metrics = ChainletMetrics(self.name, queue_waiting=self._queue_waiting)
        provider = config.dependency_provider
        self._extra_metrics = provider if isinstance(provider, MetricsSource) else None
        self._access_log = AccessLog(self.name)
        self._auth = Authenticator(config)
        self._validate = spec.request_model.model_validate_json
        self._encode = spec.encode_result
        self._is_async = spec.is_async
        self._is_stream = spec.is_stream
        self._max_body = config.max_body_bytes
        self._retry_after = (RETRY_AFTER_HEADER.encode("latin-1"), b"%d" % config.retry_after_sec)
        self._is_healthy = getattr(chainlet_cls, "is_healthy", None)
        self._instance: ChainletBase | None = None
        self._call: Any = None
        self._init_error: BaseException | None = None
        self._gate: ConcurrencyGate | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._draining = False
        self._routes = {
            "/healthz": self._healthz,
            "/readyz": self._readyz,
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
            if scope["path"] == RUN_REMOTE_PATH and scope["method"] == "POST":
                await self._serve_run_remote(scope, receive, send)
            else:
                await self._serve_operational(scope, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        else:  # websocket: not part of the protocol
            await send({"type": "websocket.close", "code": 1003})

    # -- run_remote ----------------------------------------------------------------------

    async def _serve_run_remote(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        if self._draining:
            message = "chainlet is shutting down; retry on another replica"
            extra = [self._retry_after, CONNECTION_CLOSE]
            return await self._fail(send, raw_id, 503, "ShuttingDown", message, extra), None
        if not self._auth.allows(headers):
            message = "missing or invalid credentials"
            return await self._fail(send, raw_id, 401, "Unauthorized", message), None
        try:
            body = await read_body(receive, headers.get(b"content-length"), self._max_body)
        except BodyTooLarge:
            message = f"request body is larger than {self._max_body} bytes"
            return await self._fail(send, raw_id, 413, "PayloadTooLarge", message), None
        except ClientGone:
            return CLIENT_GONE_STATUS, None
        try:
            arguments = self._validate(body or b"{}")
        except pydantic.ValidationError as exc:
            return await self._send_error(send, raw_id, validation_detail(exc, self.name)), None
        gate = self._gate
        if self._instance is None or gate is None:
            message = "chainlet is not ready" + (
                f" (__init__ failed: {self._init_error!r})" if self._init_error else ""
            )
            retry = [self._retry_after]
            return await self._fail(send, raw_id, 503, "NotReady", message, retry), None
        try:
            await gate.acquire()
        except QueueFullError:
            self.metrics.queue_rejections += 1
            message = (
                f"{self.config.predict_concurrency} call(s) running and "
                f"{self.config.queue_size} queued; retry later"
            )
            retry = [self._retry_after]
            return await self._fail(send, raw_id, 503, "Overloaded", message, retry), None
        kwargs = arguments.__dict__
        if self._is_stream:
            return 200, await self._stream(gate, kwargs, raw_id, receive, send)
        try:
            try:
                if self._is_async:
                    result = await self._call(**kwargs)
                else:
                    result = await self._call_in_thread(kwargs)
            finally:
                gate.release()
            content = self._encode(result)
        except Exception as exc:
            return await self._send_error(send, raw_id, self._exception_detail(exc)), None
        await send_response(
            send, 200, content, [JSON_CONTENT_TYPE_HEADER, (REQUEST_ID_KEY, raw_id)]
        )
        return 200, None

    def _call_in_thread(self, kwargs: dict[str, Any]) -> asyncio.Future[Any]:
        """A sync ``run_remote`` on one of ``predict_concurrency`` threads, in this context
        (so ``current_request_id()`` and the stubs see the request id)."""
        context = contextvars.copy_context()
        call = functools.partial(context.run, self._call, **kwargs)
        return asyncio.get_running_loop().run_in_executor(self._executor, call)

    async def _stream(
        self,
        gate: ConcurrencyGate,
        kwargs: dict[str, Any],
        raw_id: bytes,
        receive: Receive,
        send: Send,
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
                headers=[_STREAM_CONTENT_TYPE_HEADER, (REQUEST_ID_KEY, raw_id)],
                error_frame=self._error_frame,
                finished=release,
            )
        finally:
            release()
            with anyio.CancelScope(shield=True):  # runs the generator's finally
                try:
                    await stream.aclose()
                except Exception:
                    logger.exception("closing the run_remote stream of %s failed", self.name)
        if outcome == ERROR:
            self.metrics.stream_errors += 1
        return outcome

    def _error_frame(self, exc: Exception) -> bytes:
        return encode_error_frame(self._exception_detail(exc))

    def _exception_detail(self, exc: Exception) -> ErrorDetail:
        return exception_detail(exc, self.name, include_traceback=self.config.include_traceback)

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
        self._gate = ConcurrencyGate(config.predict_concurrency, config.queue_size)
        if not self._is_async:
            self._executor = ThreadPoolExecutor(
                config.predict_concurrency, thread_name_prefix=f"{self.name}.run_remote"
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
