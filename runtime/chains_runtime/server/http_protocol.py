"""``limited_protocol``: uvicorn's httptools HTTP/1.1 protocol, held to a ``ServerLimits``.

uvicorn alone keeps a connection that never sends a byte open forever, waits forever for a
request head sent one header a second or for a body shorter than its ``Content-Length``, and
buffers a request head of any size (httptools joins a header's pieces until it ends). This
subclass of ``HttpToolsProtocol`` adds, per connection:

- an idle timer (``idle_timeout_sec``) from the moment the connection opens and after each
  response, as long as no byte of a next request has come;
- a deadline for the head (``head_timeout_sec``, counted from its first read) and one for the
  body (``body_timeout_sec``, from the end of the head): 408 and close when it passes;
- a cap on the head's size (``max_head_bytes``): the parser is fed at most the bytes the head may
  still take, and a head that has not ended by then gets 431 and close;
- a cap on open connections per server (``max_connections``): at the cap a new connection makes
  room by closing the oldest idle connection, else the oldest one still sending a head (a
  legitimate head comes in one read, and neither has reached the app); if none is, the new
  connection is closed at once. So silent sockets cannot lock out ``/healthz`` and ``/readyz``.

The timers are armed only when a head or body spans reads, so a request that arrives in one
read (the usual case) costs no timer beyond uvicorn's keep-alive one. The 408 and 431 answers
carry the protocol's error envelope; after one, the server stops parsing, sends the end of its
answer, and reads and drops what the client still sends for up to ``LINGER_SEC`` before closing
(closing with unread bytes would reset the connection, and the client might never read the
answer).
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Sequence
from typing import Any, ClassVar, Final

import httptools
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from chains_runtime.protocol import ErrorDetail
from chains_runtime.server.asgi import REQUEST_ID_KEY
from chains_runtime.server.errors import encode_error
from chains_runtime.server.limits import ServerLimits
from chains_runtime.server.request_id import request_id_of

LINGER_SEC: Final = 3.0
"""After a 408 or 431, how long the client may go on sending (dropped) before the close."""
LOG_INTERVAL_SEC: Final = 10.0
"""Refused and timed-out connections are logged at most this often, as counts."""


class _ServerConnections:
    """What the connections of one server share: those that may make room for a new one
    (each oldest first), and counts of connections ended by a limit, not yet logged."""

    def __init__(self) -> None:
        self.idle: dict[LimitedHttpToolsProtocol, None] = {}
        self.slow_heads: dict[LimitedHttpToolsProtocol, None] = {}
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

    # -- connections -----------------------------------------------------------------------

    def connection_made(  # type: ignore[override]
        self, transport: asyncio.Transport
    ) -> None:
        if len(self.connections) >= self.limits.max_connections and not self._make_room():
            self._refused = True
            self.transport = transport
            transport.abort()
            self._count_ended("refused at the connection limit (--max-connections)")
            return
        super().connection_made(transport)
        self._become_idle()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return
        self._shared.idle.pop(self, None)
        self._cancel_deadline()
        super().connection_lost(exc)

    def shutdown(self) -> None:
        if self._lingering:
            self.transport.close()
        else:
            super().shutdown()

    def _make_room(self) -> bool:
        """Close the oldest idle connection, else the oldest slow head; False if none."""
        shared = self._shared
        for candidates, kind in ((shared.idle, "idle"), (shared.slow_heads, "sending a head")):
            victim = next(iter(candidates), None)
            if victim is not None:
                del candidates[victim]
                victim.transport.close()
                self._count_ended(f"{kind}, closed to make room for a new one")
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
        if self.timeout_keep_alive_task is not None:
            self.timeout_keep_alive_task.cancel()
            self.timeout_keep_alive_task = None
        if self._in_body:
            self._feed(data)
        elif len(data) + self._head_bytes < self.limits.max_head_bytes:  # the usual case
            heads = self._heads_done
            if self._feed(data) and self._in_head and self._heads_done == heads:
                self._head_bytes += len(data)
        else:
            self._feed_head(data)
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

    def _feed_head(self, data: bytes) -> None:
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
        if self.transport.is_closing():
            return
        self._unset_keepalive_if_required()
        self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
        elif not self._in_head and not self._in_body:
            self._become_idle()

    # -- deadlines -------------------------------------------------------------------------

    def _arm_deadline(self) -> None:
        if self._in_head:
            timeout, on_timeout = self.limits.head_timeout_sec, self._head_timed_out
            self._shared.slow_heads[self] = None
        else:
            timeout, on_timeout = self.limits.body_timeout_sec, self._body_timed_out
        self._deadline = self.loop.call_later(timeout, on_timeout)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self._shared.slow_heads.pop(self, None)

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
        cycle = self.cycle
        if cycle.response_started:  # the app answered without the body: just end
            self._count_ended("with a request body too slow, answered already (closed)")
            self.transport.close()
            return
        self._count_ended("with a request body too slow (408)")
        cycle.disconnected = True  # the app's receive() reports a disconnect, its sends go nowhere
        cycle.message_event.set()
        message = f"the request body did not arrive within {self.limits.body_timeout_sec:g} s"
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
        self.transport.write(b"".join(head) + body)
        self._linger()

    def _linger(self) -> None:
        """Parse no more; send the end of the answer and drop what still comes, then close."""
        self._lingering = True
        self._cancel_deadline()
        self._unset_keepalive_if_required()
        self._shared.idle[self] = None  # it may make room for a new connection
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.flow.resume_reading()
        self._deadline = self.loop.call_later(LINGER_SEC, self.transport.close)
