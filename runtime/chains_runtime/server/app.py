"""``create_app``: a FastAPI app serving one chainlet's ``run_remote`` (see ``protocol``)."""

from __future__ import annotations

import contextlib
import functools
import hmac
import inspect
import logging
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import anyio.to_thread
import pydantic
from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from chains_runtime.chainlet import ChainletBase
from chains_runtime.context import Environment
from chains_runtime.injection import injecting
from chains_runtime.protocol import (
    END_FRAME,
    JSON_CONTENT_TYPE,
    REQUEST_ID_HEADER,
    RETRY_AFTER_HEADER,
    RUN_REMOTE_PATH,
    SERVICE_TOKEN_HEADER,
    STREAM_CONTENT_TYPE,
    ErrorDetail,
    encode_data_frame,
    encode_error_frame,
)
from chains_runtime.server.config import ServerConfig
from chains_runtime.server.errors import (
    error_response,
    exception_detail,
    validation_detail,
)
from chains_runtime.server.gate import ConcurrencyGate, QueueFullError
from chains_runtime.server.injector import ServerInjector
from chains_runtime.server.signature import RunRemoteSpec

logger = logging.getLogger(__name__)

_API_KEY_PREFIX = "api-key "


class _ClosingStreamingResponse(StreamingResponse):
    """A StreamingResponse that runs ``on_close`` once the ASGI call ends, however it ends.

    Starlette may never start iterating the body (client gone before the first send, the
    response dropped, a cancellation): a ``finally`` in the body generator would then never run.
    """

    def __init__(
        self, content: AsyncIterator[bytes], on_close: Callable[[], Awaitable[None]], **kw: Any
    ) -> None:
        super().__init__(content, **kw)
        self._on_close = on_close

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            with anyio.CancelScope(shield=True):
                await self._on_close()


class _Releaser:
    """Release a gate slot and close the user's stream at most once, from any path."""

    def __init__(self, gate: ConcurrencyGate, stream: Any) -> None:
        self._gate = gate
        self._stream = stream
        self._released = False
        self._closed = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._gate.release()

    async def close(self) -> None:
        self.release()
        if not self._closed:
            self._closed = True
            try:
                await self._stream.aclose()
            except Exception:
                logger.exception("closing a run_remote stream failed")


class _State:
    """The chainlet instance and its limits, set up in the lifespan."""

    def __init__(self) -> None:
        self.instance: ChainletBase | None = None
        self.init_error: BaseException | None = None
        self.gate: ConcurrencyGate | None = None
        self.threads: anyio.CapacityLimiter | None = None


def create_app(chainlet_cls: type[ChainletBase], *, config: ServerConfig) -> FastAPI:
    """Serve ``chainlet_cls``: ``POST /run_remote``, ``GET /healthz``, ``GET /readyz``.

    The request model and result encoder are derived from ``run_remote`` now; the instance is
    built once, at start-up, with the config's secrets and dependencies.
    """
    spec = RunRemoteSpec.from_chainlet(chainlet_cls)
    name = chainlet_cls.__name__
    state = _State()
    is_healthy = getattr(chainlet_cls, "is_healthy", None)
    retry_after = {RETRY_AFTER_HEADER: str(config.retry_after_sec)}

    def build() -> ChainletBase:
        injector = ServerInjector(
            secrets=config.load_secrets(),
            data_dir=config.data_dir,
            environment=Environment(name=config.environment) if config.environment else None,
            chainlet_to_service=config.chainlet_to_service,
            dependency_provider=config.dependency_provider,
        )
        with injecting(injector):
            return chainlet_cls()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.gate = ConcurrencyGate(config.predict_concurrency, config.queue_size)
        state.threads = anyio.CapacityLimiter(config.predict_concurrency)
        try:  # in a thread: a slow __init__ must not block the loop
            state.instance = await anyio.to_thread.run_sync(build)
        except Exception as exc:
            state.init_error = exc
            logger.exception("chainlet %s failed to initialize", name)
        yield

    app = FastAPI(title=name, lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/healthz")
    async def healthz() -> Response:
        return Response(b'{"status":"alive"}', media_type=JSON_CONTENT_TYPE)

    @app.get("/readyz")
    async def readyz() -> Response:
        ready = await _is_ready()
        status, body = (200, b'{"status":"ready"}') if ready else (503, b'{"status":"not ready"}')
        return Response(body, status_code=status, media_type=JSON_CONTENT_TYPE)

    async def _is_ready() -> bool:
        if state.instance is None:
            return False
        if is_healthy is None:
            return True
        try:
            if inspect.iscoroutinefunction(is_healthy):
                result = await is_healthy(state.instance)
            else:
                result = await anyio.to_thread.run_sync(is_healthy, state.instance)
        except Exception:
            logger.exception("is_healthy of chainlet %s raised", name)
            return False
        return bool(result)

    def _authorized(request: Request) -> bool:
        if not config.require_service_token and config.api_key is None:
            return True
        headers = request.headers
        if config.service_token is not None:
            token = headers.get(SERVICE_TOKEN_HEADER)
            if token is not None and hmac.compare_digest(token, config.service_token):
                return True
        if config.api_key is not None:
            key = headers.get("x-api-key")
            if key is None:
                auth = headers.get("authorization", "")
                if auth[: len(_API_KEY_PREFIX)].lower() == _API_KEY_PREFIX:
                    key = auth[len(_API_KEY_PREFIX) :].strip()
            if key is not None and hmac.compare_digest(key, config.api_key):
                return True
        return False

    async def _read_body(request: Request) -> bytes | None:
        """The body, or None if it is larger than ``max_body_bytes``."""
        limit = config.max_body_bytes
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            return None
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                return None
        return bytes(body)

    def _fail(status: int, type_: str, message: str, headers: dict[str, str]) -> Response:
        detail = ErrorDetail(type=type_, message=message, chainlet=name, status=status)
        return error_response(detail, headers)

    @app.post(RUN_REMOTE_PATH)
    async def run_remote(request: Request) -> Response:
        headers = {REQUEST_ID_HEADER: request.headers.get(REQUEST_ID_HEADER) or uuid.uuid4().hex}
        if not _authorized(request):
            return _fail(401, "Unauthorized", "missing or invalid credentials", headers)
        body = await _read_body(request)
        if body is None:
            message = f"request body is larger than {config.max_body_bytes} bytes"
            return _fail(413, "PayloadTooLarge", message, headers)
        try:
            arguments = spec.request_model.model_validate_json(body or b"{}")
        except pydantic.ValidationError as exc:
            return error_response(validation_detail(exc, name), headers)
        instance, gate = state.instance, state.gate
        if instance is None or gate is None:
            message = "chainlet is not ready" + (
                f" (__init__ failed: {state.init_error!r})" if state.init_error else ""
            )
            return _fail(503, "NotReady", message, {**headers, **retry_after})
        try:
            await gate.acquire()
        except QueueFullError:
            message = (
                f"{config.predict_concurrency} call(s) running and {config.queue_size} "
                "queued; retry later"
            )
            return _fail(503, "Overloaded", message, {**headers, **retry_after})
        kwargs = arguments.__dict__
        if spec.is_stream:
            try:
                stream = instance.run_remote(**kwargs)  # type: ignore[attr-defined]
            except BaseException:
                gate.release()
                raise
            releaser = _Releaser(gate, stream)
            frames = _frames(stream, releaser)

            async def on_close() -> None:
                with contextlib.suppress(Exception):  # runs the generator's finally if suspended
                    await frames.aclose()
                await releaser.close()

            try:
                return _ClosingStreamingResponse(
                    frames,
                    on_close,
                    media_type=STREAM_CONTENT_TYPE,
                    headers=headers,
                )
            except BaseException:
                releaser.release()
                raise
        try:
            try:
                if spec.is_async:
                    result = await instance.run_remote(**kwargs)  # type: ignore[attr-defined]
                else:
                    call = functools.partial(instance.run_remote, **kwargs)  # type: ignore[attr-defined]
                    result = await anyio.to_thread.run_sync(call, limiter=state.threads)
            finally:
                gate.release()
            content = spec.encode_result(result)
        except Exception as exc:
            detail = exception_detail(exc, name, include_traceback=config.include_traceback)
            return error_response(detail, headers)
        return Response(content, media_type=JSON_CONTENT_TYPE, headers=headers)

    async def _frames(stream: Any, releaser: _Releaser) -> AsyncGenerator[bytes, None]:
        """Data frames, then the end frame; on failure an error frame and no end frame."""
        try:
            try:
                async for item in stream:
                    yield encode_data_frame(item)
            except Exception as exc:
                detail = exception_detail(exc, name, include_traceback=config.include_traceback)
                yield encode_error_frame(detail)
                return
            yield END_FRAME
        finally:
            releaser.release()  # as soon as the stream is done; the response closes it again
            await releaser.close()

    return app
