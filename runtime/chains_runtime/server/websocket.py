"""Serving a websocket chainlet: ``GET /websocket``, upgraded, handed to ``run_remote``.

A chainlet whose ``run_remote`` takes a ``WebSocketProtocol`` (see ``chains_runtime.websocket``)
is served here instead of ``POST /run_remote``; docs/protocol.md has the contract:

- The handshake is refused with an HTTP answer carrying the error envelope (the ASGI
  ``websocket.http.response`` extension; a server without it answers 403): 404 ``NotFound``
  for another path or a chainlet without a websocket, 400 ``HostNotAllowed``, 403
  ``OriginNotAllowed`` (a browser page from another origin), 503 ``ShuttingDown``, 401
  ``Unauthorized`` (the service token or API key, checked before anything is accepted),
  503 ``NotReady``, 503 ``Overloaded`` (with ``retry-after``) when every slot of the
  concurrency gate is taken and its queue is full.
- A connection holds one slot of the gate (``predict_concurrency``) from before the accept to
  its close; a handshake that finds no free slot waits in the gate's queue, unanswered.
- Messages are bounded by the server's ``ws_max_size`` (``chains_runtime.serve`` sets the
  chainlet's request-body limit): a larger one closes the connection with 1009.
- Close codes: 1000 when ``run_remote`` returns (unless it closed the socket itself), 1011
  when it raises (the reason names the exception's type, the traceback stays in the log),
  1011 ``DeadlineExceeded`` past ``run_remote_timeout_sec``, 1012 when the server stops.
- When the client leaves, a ``run_remote`` waiting in ``receive*`` gets
  ``WebSocketDisconnect`` (as in truss); one busy elsewhere is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from time import monotonic, perf_counter
from typing import Any, Final

from starlette.types import Message, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from chains_runtime.context import DEADLINE, REQUEST_ID
from chains_runtime.contract import ALLOWED_HOSTS_ENV, CORS_ORIGINS_ENV
from chains_runtime.model_base import endpoint_name, endpoint_path
from chains_runtime.protocol import RETRY_AFTER_HEADER, ErrorDetail
from chains_runtime.server.access_log import AccessLog
from chains_runtime.server.asgi import JSON_CONTENT_TYPE_HEADER, REQUEST_ID_KEY
from chains_runtime.server.auth import Authenticator
from chains_runtime.server.config import ServerConfig
from chains_runtime.server.cors import CorsPolicy
from chains_runtime.server.errors import encode_error
from chains_runtime.server.gate import ConcurrencyGate, QueueFullError
from chains_runtime.server.hosts import HostCheck
from chains_runtime.server.metrics import ChainletMetrics
from chains_runtime.server.request_id import request_id_of

logger = logging.getLogger(__name__)

WEBSOCKET_PATH: Final = "/websocket"
"""Where a websocket chainlet serves its websocket: Baseten's chainlet websocket URL is its
``run_remote`` URL with ``/run_remote`` replaced by ``/websocket``."""

NORMAL_CLOSURE: Final = 1000
SERVER_ERROR: Final = 1011
"""Closes the socket when ``run_remote`` raises (truss's ``WEBSOCKET_SERVER_ERROR_CODE``)."""
SWITCHING_PROTOCOLS: Final = 101
"""Recorded in the access log and metrics for an accepted websocket."""
CLIENT_GONE_STATUS: Final = 499
"""Recorded when the client left while its handshake waited for a slot."""
BUFFERED_MESSAGES: Final = 4
"""Messages read ahead of ``run_remote`` (so a leaving client is seen while it is busy);
past them the server stops reading the socket until ``run_remote`` takes one."""
_MAX_REASON_BYTES: Final = 123  # RFC 6455: a close frame's reason fits in 123 bytes

RunRemote = Callable[..., Any]


async def refuse_websocket(
    scope: Scope, receive: Receive, send: Send, detail: ErrorDetail, extra: list[Any] | None = None
) -> None:
    """Answer a websocket handshake with ``detail``'s status and error envelope, not accepting it.

    Without the ASGI ``websocket.http.response`` extension the server answers 403 instead."""
    body = encode_error(detail)
    if "websocket.http.response" in scope.get("extensions", {}):
        length = (b"content-length", b"%d" % len(body))
        headers = [JSON_CONTENT_TYPE_HEADER, length, *(extra or [])]
        start = {"type": "websocket.http.response.start", "status": detail.status}
        await send({**start, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": detail.type})


async def refuse_non_websocket_chainlet(
    scope: Scope, receive: Receive, send: Send, chainlet_cls: type
) -> None:
    """A websocket handshake to a chainlet whose ``run_remote`` takes no websocket: 404."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    chainlet = chainlet_cls.__name__
    detail = ErrorDetail(
        type="NotFound",
        message=f"`{chainlet}` serves no websocket: its {endpoint_name(chainlet_cls)} is called "
        f"with POST {endpoint_path(chainlet_cls)}",
        chainlet=chainlet,
        status=404,
    )
    await refuse_websocket(scope, receive, send, detail)


class WebSocketEndpoint:
    """Serves the websocket of one chainlet (see the module docstring)."""

    def __init__(
        self,
        chainlet: str,
        endpoint: str,
        config: ServerConfig,
        *,
        auth: Authenticator,
        hosts: HostCheck,
        cors: CorsPolicy | None,
        metrics: ChainletMetrics,
        access_log: AccessLog,
    ) -> None:
        self.chainlet = chainlet
        self._endpoint = endpoint
        self._config = config
        self._auth = auth
        self._hosts = hosts
        self._cors = cors
        self._metrics = metrics
        self._access_log = access_log
        self._retry_after = (RETRY_AFTER_HEADER.encode("latin-1"), b"%d" % config.retry_after_sec)

    async def serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        gate: ConcurrencyGate | None,
        run_remote: RunRemote | None,
        draining: bool,
        init_error: BaseException | None,
    ) -> None:
        """One websocket connection, from its handshake to its close."""
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        start = perf_counter()
        headers: dict[bytes, bytes] = dict(scope["headers"])
        request_id, _ = request_id_of(headers.get(REQUEST_ID_KEY))
        token = REQUEST_ID.set(request_id)
        metrics = self._metrics
        metrics.in_flight += 1
        status, outcome = 500, None
        try:
            refusal = self._refusal(scope, headers, draining, run_remote is None, init_error)
            if refusal is not None:
                detail, extra = refusal
                detail = detail.model_copy(update={"request_id": request_id})
                status = detail.status
                await refuse_websocket(scope, receive, send, detail, extra)
                return
            assert gate is not None and run_remote is not None
            status, outcome = await self._gated(
                scope, message, receive, send, gate, run_remote, request_id
            )
        finally:
            REQUEST_ID.reset(token)
            metrics.in_flight -= 1
            seconds = perf_counter() - start
            metrics.record(status, seconds)
            self._access_log.record(request_id, status, seconds, outcome)

    def _refusal(
        self,
        scope: Scope,
        headers: Mapping[bytes, bytes],
        draining: bool,
        not_ready: bool,
        init_error: BaseException | None,
    ) -> tuple[ErrorDetail, list[Any]] | None:
        """Why the handshake is refused (the error and extra headers), or None to go on."""

        def error(status: int, type_: str, message: str) -> ErrorDetail:
            return ErrorDetail(type=type_, message=message, chainlet=self.chainlet, status=status)

        path = scope["path"]
        if path != WEBSOCKET_PATH:
            message = f"no websocket at {path}; connect to {WEBSOCKET_PATH}"
            return error(404, "NotFound", message), []
        if self._hosts.checks and not self._hosts.allows(headers.get(b"host")):
            message = (
                "this server does not answer requests for that Host; allow the name in the "
                f"chainlet's allowed hosts ({ALLOWED_HOSTS_ENV})"
            )
            return error(400, "HostNotAllowed", message), []
        if not self._origin_allowed(headers):
            message = (
                "a browser page from another origin may not open this websocket; allow its "
                f"origin in {CORS_ORIGINS_ENV}"
            )
            return error(403, "OriginNotAllowed", message), []
        if draining:
            message = "chainlet is shutting down; retry on another replica"
            return error(503, "ShuttingDown", message), [self._retry_after]
        if not self._auth.allows(headers):
            return error(401, "Unauthorized", "missing or invalid credentials"), []
        if not_ready:
            message = "chainlet is not ready" + (
                f" (__init__ failed: {init_error!r})" if init_error else ""
            )
            return error(503, "NotReady", message), [self._retry_after]
        return None

    def _origin_allowed(self, headers: Mapping[bytes, bytes]) -> bool:
        """Browsers send ``Origin`` and let any page open a websocket to any server (no CORS):
        only the server's own origin and the configured CORS origins may."""
        origin = headers.get(b"origin")
        if origin is None:  # not a browser
            return True
        host = headers.get(b"host", b"")
        _, _, origin_host = origin.partition(b"://")
        if host and origin_host.lower() == host.lower():
            return True
        cors = self._cors
        return cors is not None and cors.allowed_origin(origin) is not None

    async def _gated(
        self,
        scope: Scope,
        connect: Message,
        receive: Receive,
        send: Send,
        gate: ConcurrencyGate,
        run_remote: RunRemote,
        request_id: str,
    ) -> tuple[int, str | None]:
        """Take a slot (or refuse), accept, run the session, free the slot."""
        if not gate.try_acquire():
            try:
                got_slot = await _acquire_unless_gone(gate, receive)
            except QueueFullError:
                self._metrics.queue_rejections += 1
                detail = ErrorDetail(
                    type="Overloaded",
                    message=f"{self._config.predict_concurrency} call(s) running and "
                    f"{self._config.queue_size} queued; retry later",
                    chainlet=self.chainlet,
                    status=503,
                    request_id=request_id,
                )
                await refuse_websocket(scope, receive, send, detail, [self._retry_after])
                return 503, None
            if not got_slot:
                return CLIENT_GONE_STATUS, None
        try:
            session = _Session(scope, connect, receive, send)
            await session.socket.accept(headers=[(REQUEST_ID_KEY, request_id.encode("ascii"))])
            outcome = await self._run(session, run_remote)
        finally:
            gate.release()
        return SWITCHING_PROTOCOLS, outcome

    async def _run(self, session: _Session, run_remote: RunRemote) -> str:
        """Run ``run_remote`` on the accepted ``session``; how the socket ended."""
        limit = self._config.run_remote_timeout_sec
        # Dependency calls send what is left of the session's time limit (none: no deadline).
        DEADLINE.set(None if limit is None else monotonic() + limit)
        task = asyncio.ensure_future(run_remote(session.protocol))
        reader = asyncio.ensure_future(session.read(task))
        try:
            done, _ = await asyncio.wait({task}, timeout=limit)
            if not done:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
                reason = f"DeadlineExceeded: {self._endpoint} ran past {limit:g} s"
                await session.close(SERVER_ERROR, reason)
                return f"websocket:{SERVER_ERROR}"
            if session.client_left is not None or task.cancelled():
                with contextlib.suppress(BaseException):
                    task.result()
                return f"websocket:client-left:{session.client_left or 1006}"
            exc = task.exception()
            if isinstance(exc, WebSocketDisconnect):  # a send found the client gone
                return f"websocket:client-left:{exc.code}"
            if exc is None:
                if session.closed_with is not None:
                    return f"websocket:{session.closed_with}"
                await session.close(NORMAL_CLOSURE, None)
                return f"websocket:{NORMAL_CLOSURE}"
            logger.error(
                "websocket %s of %s raised %s (request_id=%s)",
                self._endpoint,
                self.chainlet,
                type(exc).__name__,
                REQUEST_ID.get(),
                exc_info=exc,
            )
            await session.close(SERVER_ERROR, _reason(exc))
            return f"websocket:{SERVER_ERROR}"
        finally:
            if not task.done():  # this serving task was cancelled (the server stopped)
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
            reader.cancel()
            with contextlib.suppress(BaseException):
                await reader


async def _acquire_unless_gone(gate: ConcurrencyGate, receive: Receive) -> bool:
    """Wait in the gate's queue; False (and no slot) when the client leaves meanwhile.

    Raises ``QueueFullError`` when the queue is full."""
    acquiring = asyncio.ensure_future(gate.acquire())
    watching = asyncio.ensure_future(receive())  # before the accept, only a disconnect comes
    try:
        await asyncio.wait({acquiring, watching}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # this task was cancelled: no slot may stay taken
        if acquiring.done() and not acquiring.cancelled() and acquiring.exception() is None:
            gate.release()
        raise
    finally:
        watching.cancel()
        if acquiring.cancel():  # still queued (gate.acquire passes on a slot handed meanwhile)
            with contextlib.suppress(asyncio.CancelledError):
                await acquiring
    if acquiring.cancelled():
        return False
    acquiring.result()  # raises QueueFullError
    return True


def _reason(exc: BaseException) -> str:
    """A close reason naming the exception (its type, then its message as far as it fits)."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    encoded = text.encode("utf-8")[:_MAX_REASON_BYTES]
    return encoded.decode("utf-8", errors="ignore")


class _Session:
    """The accepted socket: starlette's ``WebSocket`` reading from a buffer that ``read``
    fills, so a leaving client is seen while ``run_remote`` is busy elsewhere."""

    def __init__(self, scope: Scope, connect: Message, receive: Receive, send: Send) -> None:
        self._receive = receive
        self._send = send
        self._buffer: deque[Message] = deque([connect])
        self._arrived = asyncio.Event()
        self._arrived.set()
        self._room = asyncio.Semaphore(BUFFERED_MESSAGES)
        self._receiving = 0
        self.client_left: int | None = None
        self.closed_with: int | None = None
        self.socket = WebSocket(scope, receive=self._take, send=self._send_noting_close)
        self.protocol = ServedWebSocket(self.socket)

    async def read(self, run_remote: asyncio.Future[Any]) -> None:
        """Fill the buffer; on the client's close, cancel ``run_remote`` unless it is waiting
        for a message (it then gets ``WebSocketDisconnect``)."""
        while True:
            await self._room.acquire()
            message = await self._receive()
            self._buffer.append(message)
            self._arrived.set()
            if message["type"] == "websocket.disconnect":
                if self.closed_with is None:  # not the echo of a close the server sent
                    self.client_left = int(message.get("code", 1005))
                    if not self._receiving:
                        run_remote.cancel()
                return

    async def _take(self) -> Message:
        self._receiving += 1
        try:
            while not self._buffer:
                self._arrived.clear()
                await self._arrived.wait()
        finally:
            self._receiving -= 1
        message = self._buffer.popleft()
        if message["type"] == "websocket.receive":
            self._room.release()
        elif message["type"] == "websocket.disconnect":
            self._buffer.appendleft(message)  # every later receive sees it too
        return message

    async def _send_noting_close(self, message: Message) -> None:
        if message["type"] == "websocket.close":
            self.closed_with = int(message.get("code", NORMAL_CLOSURE))
        await self._send(message)

    async def close(self, code: int, reason: str | None) -> None:
        """Close unless closed already (by ``run_remote`` or the client)."""
        if self.socket.application_state != WebSocketState.CONNECTED:
            return
        with contextlib.suppress(RuntimeError, OSError, WebSocketDisconnect):
            await self.socket.close(code=code, reason=reason)


class _Connected:
    """``is_connected()``'s answer: true or false, and awaitable to the same answer (truss's
    protocol declares it sync, its server implements it async; chains use both)."""

    __slots__ = ("_value",)

    def __init__(self, value: bool) -> None:
        self._value = value

    def __bool__(self) -> bool:
        return self._value

    def __await__(self) -> Any:
        if False:  # a generator that returns at once
            yield
        return self._value

    def __repr__(self) -> str:
        return repr(self._value)


class ServedWebSocket:
    """``WebSocketProtocol`` over starlette's ``WebSocket``, as truss's
    ``WebsocketWrapperFastAPI``: what a websocket ``run_remote`` receives."""

    def __init__(self, websocket: WebSocket) -> None:
        self._websocket = websocket
        self.headers: Mapping[str, str] = websocket.headers

    async def close(self, code: int = 1000, reason: str | None = None) -> None:
        await self._websocket.close(code=code, reason=reason)

    async def receive(self) -> str | bytes:
        message = await self._websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000), message.get("reason"))
        text = message.get("text")
        if text is not None:
            return str(text)
        return bytes(message.get("bytes") or b"")

    async def receive_text(self) -> str:
        return await self._websocket.receive_text()

    async def receive_bytes(self) -> bytes:
        return await self._websocket.receive_bytes()

    async def receive_json(self) -> Any:
        return await self._websocket.receive_json()

    async def send_text(self, data: str) -> None:
        await self._websocket.send_text(data)

    async def send_bytes(self, data: bytes) -> None:
        await self._websocket.send_bytes(data)

    async def send_json(self, data: Any) -> None:
        await self._websocket.send_json(data)

    async def iter_text(self) -> AsyncIterator[str]:
        return self._websocket.iter_text()

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        return self._websocket.iter_bytes()

    async def iter_json(self) -> AsyncIterator[Any]:
        return self._websocket.iter_json()

    def is_connected(self) -> _Connected:
        websocket = self._websocket
        return _Connected(
            websocket.application_state == WebSocketState.CONNECTED
            and websocket.client_state == WebSocketState.CONNECTED
        )
