"""``limited_protocol``: uvicorn's httptools HTTP/1.1 protocol, held to a ``ServerLimits``.

uvicorn alone keeps a connection that never sends a byte open forever, waits forever for a
request head sent one header a second or for a body shorter than its ``Content-Length``, and
buffers a request head of any size (httptools joins a header's pieces until it ends). This
subclass of ``HttpToolsProtocol`` adds, per connection:

- an idle timer (``idle_timeout_sec``) from the moment the connection opens and after each
  response, as long as no byte of a next request has come;
- a deadline for the head (``head_timeout_sec``, counted from its first read) and one for the
  body (``body_timeout_sec``, from the end of the head): 408 and close when it passes;
- a minimum body rate: a body must keep up an average of ``MIN_BODY_RATE`` bytes/s since its
  head, after ``BODY_GRACE_SEC`` of allowance, else 408 and close: a trickle is cut in seconds,
  while a steady upload on a slow link only meets the body deadline;
- a close after an early answer: when the app answers before the request body has all come
  (401, 413, 415...), the answer says ``connection: close``, and once it is sent the rest of the
  body is dropped, not read to its declared size, and the connection closed (see ``_linger``);
- a cap on the head's size (``max_head_bytes``): the parser is fed at most the bytes the head may
  still take, and a head that has not ended by then gets 431 and close;
- a cap on open connections per server (``max_connections``): at the cap a new connection makes
  room by closing, in this order, the oldest idle connection (or one answered already, whose
  rest is being dropped), the oldest one still sending a head (a legitimate head comes in one
  read), or the one sending its body the furthest behind the minimum body rate. A connection
  whose request is in the app with its whole body is never closed for a newcomer: if every
  connection is, the new one is closed at once. So neither silent sockets nor slow bodies can
  lock out ``/healthz`` and ``/readyz``;
- a bound on pipelining: a read larger than ``FEED_PIECE`` is parsed piece by piece, and once
  ``MAX_PIPELINE`` requests wait behind the one in the app, the rest of the read is kept
  unparsed (``_unfed``) and reading stops until an answer is sent (uvicorn alone parses every
  read whole and queues every request in it);
- no waiting on a client that does not read: where uvicorn would close gracefully (idle
  timeout, making room, the end of a linger) a connection with unsent bytes is aborted, a
  close after an answer (``connection: close``) is aborted after the idle timeout, and a write
  buffer that stays over the high-water mark for the idle timeout aborts the connection. A
  graceful close waits for the buffer to drain, so ``connection_lost`` would never come.

The timers are armed only when a head or body spans reads, so a request that arrives in one
read (the usual case) costs no timer beyond uvicorn's keep-alive one. The 408 and 431 answers
carry the protocol's error envelope; after one, the server stops parsing, sends the end of its
answer, and reads and drops what the client still sends for up to ``LINGER_SEC`` before closing
(closing with unread bytes would reset the connection, and the client might never read the
answer). The body-rate check and the early-answer close cost nothing either for a request whose
body comes in the read of its head.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Sequence
from typing import Any, ClassVar, Final

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.server import ServerState

from chains_runtime.protocol import ErrorDetail
from chains_runtime.server.asgi import REQUEST_ID_KEY
from chains_runtime.server.errors import encode_error
from chains_runtime.server.limits import ServerLimits
from chains_runtime.server.paired_writes import PairedWrites
from chains_runtime.server.request_id import request_id_of

LINGER_SEC: Final = 3.0
"""After a 408 or 431, how long the client may go on sending (dropped) before the close."""
MIN_BODY_RATE: Final = 1024.0
"""Bytes/s a request body must average since its head (after ``BODY_GRACE_SEC``), else 408."""
BODY_GRACE_SEC: Final = 5.0
"""How far (in seconds of ``MIN_BODY_RATE``) a body may lag behind the minimum rate."""
LOG_INTERVAL_SEC: Final = 10.0
"""Refused and timed-out connections are logged at most this often, as counts."""
MAX_PIPELINE: Final = 8
"""Pipelined requests waiting behind the one in the app, past which the parser is not fed."""
FEED_PIECE: Final = 4096
"""A read larger than this is parsed piece by piece, so a read full of pipelined requests
queues at most ``MAX_PIPELINE`` plus one piece's worth of them."""


class _ServerConnections:
    """What the connections of one server share: those that may make room for a new one
    (each oldest first), and counts of connections ended by a limit, not yet logged."""

    def __init__(self) -> None:
        self.idle: dict[LimitedHttpToolsProtocol, None] = {}
        """Idle connections, and those answered already whose rest is being dropped."""
        self.slow_heads: dict[LimitedHttpToolsProtocol, None] = {}
        self.slow_bodies: dict[LimitedHttpToolsProtocol, None] = {}
        """Connections sending a body that spans reads (none of them in the app with it whole)."""
        self.ended: dict[str, int] = {}
        self.logged_at = float("-inf")
        self.log_pending = False

    def count_ended(
        self, reason: str, loop: asyncio.AbstractEventLoop, logger: logging.Logger
    ) -> None:
        """Count a connection ended by a limit; log the counts now, or when the interval is up."""
        self.ended[reason] = self.ended.get(reason, 0) + 1
        wait = self.logged_at + LOG_INTERVAL_SEC - loop.time()
        if wait <= 0:
            self._log(loop, logger)
        elif not self.log_pending:
            self.log_pending = True
            loop.call_later(wait, self._log, loop, logger)

    def _log(self, loop: asyncio.AbstractEventLoop, logger: logging.Logger) -> None:
        self.log_pending = False
        self.logged_at = loop.time()
        if self.ended:
            counts = ", ".join(f"{count} {why}" for why, count in self.ended.items())
            self.ended.clear()
            logger.warning("connections ended by a server limit: %s", counts)


class _HoldableFlow(FlowControl):
    """uvicorn's flow control, whose reading stays paused while ``held`` (a read not all parsed
    yet), even when a request's ``receive()`` resumes it.

    Only while held does an instance attribute hide ``resume_reading``: the usual, unheld
    flow calls uvicorn's method directly, with no override in between.
    """

    @property
    def held(self) -> bool:
        return "resume_reading" in vars(self)

    @held.setter
    def held(self, value: bool) -> None:
        if value:
            setattr(self, "resume_reading", _stay_paused)  # noqa: B010 - shadows the method
        else:
            vars(self).pop("resume_reading", None)


def _stay_paused() -> None:
    pass


_SERVERS: weakref.WeakKeyDictionary[ServerState, _ServerConnections] = weakref.WeakKeyDictionary()


def limited_protocol(limits: ServerLimits, chainlet: str) -> type[LimitedHttpToolsProtocol]:
    """The protocol class to give uvicorn (``uvicorn.Config(http=...)``); ``chainlet`` names
    the chainlet in the error envelopes."""

    class Limited(LimitedHttpToolsProtocol):
        pass

    Limited.limits = limits
    Limited.chainlet = chainlet
    return Limited


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """See the module docstring; use ``limited_protocol`` to set the limits."""

    limits: ClassVar[ServerLimits] = ServerLimits()
    chainlet: ClassVar[str] = "server"
    min_body_rate: ClassVar[float] = MIN_BODY_RATE
    body_grace_sec: ClassVar[float] = BODY_GRACE_SEC

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        shared = _SERVERS.get(server_state)
        if shared is None:
            shared = _SERVERS[server_state] = _ServerConnections()
        self._shared = shared
        self._refused = False
        self._lingering = False
        self._in_head = False
        self._in_body = False
        self._head_bytes = 0
        """Bytes of the head in progress fed so far (from its first whole read)."""
        self._heads_done = 0
        self._deadline: asyncio.TimerHandle | None = None
        self._body_since = 0.0
        """When the body in progress began to span reads (loop time): its rate counts from here."""
        self._body_bytes = 0
        """Bytes of the body in progress read since ``_body_since``."""
        self._body_deadline_at = 0.0
        self._close_after_response = False
        self._unfed: memoryview | None = None
        """The rest of a read not parsed yet, while ``MAX_PIPELINE`` requests wait."""
        self._running: RequestResponseCycle | None = None
        """The cycle in the app (``self.cycle`` is the last one parsed)."""
        self._write_stall: asyncio.TimerHandle | None = None
        self._flow: _HoldableFlow | None = None
        self._writes: PairedWrites

    # -- connections -----------------------------------------------------------------------

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        self._writes = PairedWrites(transport, self.loop)
        if len(self.connections) >= self.limits.max_connections and not self._make_room():
            self._refused = True
            self.transport = transport
            transport.abort()
            self._count_ended("refused at the connection limit (--max-connections)")
            return
        super().connection_made(transport)
        self.flow = self._flow = _HoldableFlow(transport)
        self._become_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return
        self._shared.idle.pop(self, None)
        self._cancel_deadline()
        if self._write_stall is not None:
            self._write_stall.cancel()
        running = self._running
        if running is not None and not running.response_complete:
            # uvicorn marks only the last cycle parsed; the one in the app must not write either
            running.disconnected = True
            running.message_event.set()
        self.pipeline.clear()
        self._unfed = None
        super().connection_lost(exc)

    def shutdown(self) -> None:
        self._writes.flush()
        if self._lingering:
            self._close_now()
        else:
            super().shutdown()

    def _close_now(self) -> None:
        """Close, dropping what is still unsent: a client that does not read its answer would
        otherwise keep the connection (and its buffer) until it does."""
        self._writes.flush()
        transport = self.transport
        if transport.is_closing() or transport.get_write_buffer_size():
            transport.abort()
        else:
            transport.close()

    def _close_when_sent(self) -> None:
        """Close once the answer is sent; a client that does not read it gets the idle timeout,
        and may be closed before to make room for a new connection."""
        self._writes.flush()
        self.transport.close()
        if self.transport.get_write_buffer_size():
            self._cancel_deadline()
            self._shared.idle[self] = None
            self._deadline = self.loop.call_later(
                self.limits.idle_timeout_sec, self.transport.abort
            )

    def timeout_keep_alive_handler(self) -> None:
        self._close_now()

    def pause_writing(self) -> None:
        super().pause_writing()
        if self._write_stall is None:
            self._write_stall = self.loop.call_later(
                self.limits.idle_timeout_sec, self._write_stalled
            )

    def resume_writing(self) -> None:
        super().resume_writing()
        if self._write_stall is not None:
            self._write_stall.cancel()
            self._write_stall = None

    def _write_stalled(self) -> None:
        self._write_stall = None
        self._count_ended("not reading its answer (closed)")
        self.transport.abort()

    def _make_room(self) -> bool:
        """Close the oldest idle (or answered) connection, else the oldest slow head, else the
        body furthest behind the minimum rate; False if none."""
        shared = self._shared
        for candidates, kind in ((shared.idle, "idle"), (shared.slow_heads, "sending a head")):
            victim = next(iter(candidates), None)
            if victim is not None:
                del candidates[victim]
                victim._close_now()
                self._count_ended(f"{kind}, closed to make room for a new one")
                return True
        # Only at the cap with nothing idle: a scan is affordable. A body pipelined behind a
        # request in the app does not go (the request would go with it).
        bodies = [c for c in shared.slow_bodies if not c.pipeline]
        if bodies:
            victim = min(bodies, key=LimitedHttpToolsProtocol._rate_due)
            victim._cancel_deadline()
            victim._close_now()
            self._count_ended("sending a body, the slowest, closed to make room for a new one")
            return True
        return False

    def _become_idle(self) -> None:
        self.timeout_keep_alive_task = self.loop.call_later(
            self.limits.idle_timeout_sec, self.timeout_keep_alive_handler
        )
        self._shared.idle[self] = None

    def _count_ended(self, reason: str) -> None:
        self._shared.count_ended(reason, self.loop, self.logger)

    # -- reading ---------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._lingering:
            return  # answered already: dropped
        if self._unfed is not None:  # reading resumed (by the app's receive) meanwhile
            self._unfed = memoryview(bytes(self._unfed) + data)
            self.flow.pause_reading()
            return
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        size = len(data)
        if size > FEED_PIECE:
            self._feed_pieces(memoryview(data))
        elif self._in_body or size + self._head_bytes >= self.limits.max_head_bytes:
            self._feed_read(data)
        else:  # the usual case, inlined from _feed_read
            heads = self._heads_done
            if self._feed(data) and self._in_head and self._heads_done == heads:
                self._head_bytes += size
        cycle = self.cycle
        if self._in_head or self._in_body or cycle is None or cycle.response_complete:
            self._after_read()  # which does nothing otherwise

    def _feed_pieces(self, data: memoryview) -> None:
        """Parse ``data`` a piece at a time; keep the rest in ``_unfed`` (and stop reading)
        once ``MAX_PIPELINE`` requests wait behind the one in the app."""
        for start in range(0, len(data), FEED_PIECE):
            if len(self.pipeline) >= MAX_PIPELINE:
                self._unfed = data[start:]
                self.flow.pause_reading()
                assert self._flow is not None
                self._flow.held = True
                return
            self._feed_read(data[start : start + FEED_PIECE])
            if self._lingering or self.transport.is_closing():
                return

    def _feed_read(self, data: bytes | memoryview) -> None:
        if self._in_body:
            self._body_bytes += len(data)
            self._feed(data)
        elif len(data) + self._head_bytes < self.limits.max_head_bytes:  # the usual case
            heads = self._heads_done
            if self._feed(data) and self._in_head and self._heads_done == heads:
                self._head_bytes += len(data)
        else:
            self._feed_head(data)

    def _after_read(self) -> None:
        if self._in_head or self._in_body:
            if self._deadline is None and not self._lingering and not self.transport.is_closing():
                self._arm_deadline()
        elif (
            (self.cycle is None or self.cycle.response_complete)
            and self.timeout_keep_alive_task is None
            and not self.pipeline
            and not self._lingering
            and not self.transport.is_closing()
        ):
            self._become_idle()  # nothing in progress (stray bytes, or a body answered early)

    def _feed(self, data: bytes | memoryview) -> bool:
        """Parse ``data``; False once this connection is no longer parsed."""
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            return False
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return False
        return not self._lingering and not self.transport.is_closing()

    def _feed_head(self, data: bytes | memoryview) -> None:
        """Parse ``data``, which starts outside a body and holds at least what the head in
        progress may still take: never more than that at once, so a head over the limit is
        neither parsed nor kept."""
        rest: bytes | memoryview = data
        while True:
            room = self.limits.max_head_bytes - self._head_bytes
            piece = rest if len(rest) < room else memoryview(rest)[:room]
            heads = self._heads_done
            if not self._feed(piece):
                return
            if self._heads_done == heads:  # no head ended in this piece
                if len(piece) == room:
                    self._head_too_large()
                elif self._in_head:
                    self._head_bytes += len(piece)
                return
            if len(piece) == len(rest):
                return
            rest = memoryview(rest)[len(piece) :]
            if self._in_body:
                self._feed(rest)
                return

    # -- parser callbacks ------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._shared.idle.pop(self, None)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._in_body = True
        self._head_bytes = 0
        self._heads_done += 1
        if self._deadline is not None:
            self._cancel_deadline()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_body = False
        if self._deadline is not None:
            self._cancel_deadline()
        super().on_message_complete()

    def on_response_complete(self) -> None:
        # uvicorn's, with our idle timer in place of its keep-alive one
        self.server_state.total_requests += 1
        if self.transport.is_closing():  # uvicorn closed it after the answer (connection: close)
            self._close_when_sent()
            return
        if (self._close_after_response or self._in_body) and not self.pipeline:
            # Answered before its body had all come (with a pipeline, the body in progress is
            # the next request's, and this answer was to an earlier one).
            self._close_after_response = self._in_body = False
            self._linger()
            return
        self._unset_keepalive_if_required()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            if self._unfed is not None:
                unfed, self._unfed = self._unfed, None
                assert self._flow is not None
                self._flow.held = False
                self._feed_pieces(unfed)
                if self._lingering or self.transport.is_closing():
                    return
                self._after_read()
            if self._unfed is None:
                self.flow.resume_reading()
            return
        self.flow.resume_reading()
        if not self._in_head and not self._in_body:
            self._become_idle()

    def handle_websocket_upgrade(self) -> None:
        # The connection leaves HTTP for the websocket protocol (which counts it among the
        # connections): no HTTP timer, idle slot or parsing of this protocol may touch it now.
        # Marked lingering, so _after_read arms nothing; this object gets no more callbacks.
        self._in_head = self._in_body = False
        self._lingering = True
        self._cancel_deadline()
        self._shared.idle.pop(self, None)
        self._writes.flush()
        super().handle_websocket_upgrade()

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        self._running = cycle
        cycle.transport = self._writes
        super()._start_asgi_task(cycle, app)

    # -- deadlines -------------------------------------------------------------------------

    def _arm_deadline(self) -> None:
        if self._in_head:
            self._shared.slow_heads[self] = None
            self._deadline = self.loop.call_later(
                self.limits.head_timeout_sec, self._head_timed_out
            )
            return
        # A body that spans reads: its deadlines start, it may make room for a newcomer, and an
        # answer the app sends before it has all come will close the connection.
        now = self.loop.time()
        self._body_since, self._body_bytes = now, 0
        self._body_deadline_at = now + self.limits.body_timeout_sec
        self._shared.slow_bodies[self] = None
        cycle = self.cycle
        if not cycle.response_started and "send" not in vars(cycle):
            # A weak reference: a cycle that refers to itself would be freed only by the
            # garbage collector, which then runs more often.
            cycle_ref = weakref.ref(cycle)

            def send_closing_if_early(message: Any) -> Awaitable[None]:
                cycle = cycle_ref()
                assert cycle is not None  # its run_asgi is the caller
                if cycle.response_started or not cycle.more_body:
                    return RequestResponseCycle.send(cycle, message)  # no coroutine in between
                return self._send_early_answer(cycle, message)

            cycle.send = send_closing_if_early  # type: ignore[method-assign,assignment]
        self._arm_body_check(now)

    async def _send_early_answer(self, cycle: RequestResponseCycle, message: Any) -> None:
        """Start an answer sent before the request body has all come, with connection: close."""
        cycle.keep_alive = False  # so uvicorn writes connection: close
        await RequestResponseCycle.send(cycle, message)
        cycle.keep_alive = True  # but _linger closes, after the answer, not uvicorn at once
        self._close_after_response = True

    def _rate_due(self) -> float:
        """When the body in progress falls behind the minimum rate (loop time)."""
        return self._body_since + self.body_grace_sec + self._body_bytes / self.min_body_rate

    def _arm_body_check(self, now: float) -> None:
        due = min(self._body_deadline_at, self._rate_due())
        self._deadline = self.loop.call_at(max(due, now), self._body_timed_out)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._shared.slow_heads.pop(self, None)
        self._shared.slow_bodies.pop(self, None)

    def _head_timed_out(self) -> None:
        self._deadline = None
        if not self._in_head or self.transport.is_closing():
            return
        if self.flow.read_paused:  # the server stopped reading (a pipelined request waits)
            self._arm_deadline()
            return
        self._shared.slow_heads.pop(self, None)
        self._count_ended("with a request head too slow (408)")
        message = f"the request head did not arrive within {self.limits.head_timeout_sec:g} s"
        self._reject(408, "RequestTimeout", message)

    def _body_timed_out(self) -> None:
        self._deadline = None
        if not self._in_body or self.transport.is_closing():
            return
        if self.flow.read_paused:  # the server is not reading: not the client's delay
            self._arm_deadline()
            return
        now = self.loop.time() + 0.001  # a timer may run a hair early: no re-arm for that
        if now < self._body_deadline_at and now < self._rate_due():
            self._arm_body_check(now)  # bytes came since this check was set
            return
        self._shared.slow_bodies.pop(self, None)
        cycle = self.cycle
        if cycle.response_started:  # the app answered without the body: just end
            self._count_ended("with a request body too slow, answered already (closed)")
            self._close_now()
            return
        self._count_ended("with a request body too slow (408)")
        cycle.disconnected = True  # the app's receive() reports a disconnect, its sends go nowhere
        cycle.message_event.set()
        if now >= self._body_deadline_at:
            message = f"the request body did not arrive within {self.limits.body_timeout_sec:g} s"
        else:
            message = (
                f"the request body arrived slower than {self.min_body_rate:g} bytes/s "
                f"(after {self.body_grace_sec:g} s of allowance)"
            )
        _, request_id = request_id_of(dict(self.headers).get(REQUEST_ID_KEY))
        self._reject(408, "RequestTimeout", message, [(REQUEST_ID_KEY, request_id)])

    def _head_too_large(self) -> None:
        self._count_ended("with a request head too large (431)")
        message = (
            f"the request head (request line and headers) is larger than "
            f"{self.limits.max_head_bytes} bytes"
        )
        self._reject(431, "RequestHeaderFieldsTooLarge", message)

    # -- answering -------------------------------------------------------------------------

    def _reject(
        self,
        status: int,
        error_type: str,
        message: str,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        """Answer ``status`` with an error envelope and end the connection."""
        self._in_head = self._in_body = False
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete and not cycle.disconnected:
            # The answer to an earlier request is being written: close after it instead.
            cycle.keep_alive = False
            self.flow.pause_reading()
            return
        self._writes.flush()
        self.transport.write(self._error_answer(status, error_type, message, headers))
        self._linger()

    def send_400_response(self, msg: str) -> None:
        # uvicorn's, with the error envelope in place of its text/plain message
        answer = self._error_answer(400, "BadRequest", "the request is not valid HTTP/1.1")
        self._writes.flush()
        self.transport.write(answer)
        self._close_when_sent()

    def _error_answer(
        self,
        status: int,
        error_type: str,
        message: str,
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> bytes:
        """A whole ``status`` answer carrying the error envelope, with connection: close."""
        detail = ErrorDetail(
            type=error_type, message=message, chainlet=self.chainlet, status=status
        )
        body = encode_error(detail)
        head = [STATUS_LINE[status]]
        all_headers = [
            *self.server_state.default_headers,
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(body)),
            (b"connection", b"close"),
            *headers,
        ]
        for name, value in all_headers:
            head += [name, b": ", value, b"\r\n"]
        head.append(b"\r\n")
        return b"".join(head) + body

    def _linger(self) -> None:
        """Parse no more; send the end of the answer and drop what still comes, then close."""
        self._lingering = True
        self._cancel_deadline()
        self._unset_keepalive_if_required()
        self._shared.idle[self] = None  # it may make room for a new connection
        self._writes.flush()
        if self.transport.can_write_eof():
            self.transport.write_eof()
        if self._unfed is not None:
            self._unfed = None
            assert self._flow is not None
            self._flow.held = False
        self.flow.resume_reading()
        self._deadline = self.loop.call_later(LINGER_SEC, self._close_now)
