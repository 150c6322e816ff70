"""uvicorn's sans-I/O websocket protocol, reading no more from a client that reads nothing.

uvicorn answers each ping as it reads it, and stops reading only while a message waits for
the app: a client that sends pings (or makes ``run_remote`` answer each message) and never
reads its socket would have every answer kept in the server's memory, as many bytes as it
cares to send. Here, while the transport's write buffer is over its high-water mark, the
server stops reading that client too; it reads again when the client has read enough (or the
keep-alive ping, unanswered, closes the connection).

A graceful close waits for the bytes still unsent, forever if the client reads nothing: the
connection would stay open (counted against the server's connection limit), and a
``run_remote`` blocked in a send would keep its gate slot. So a connection the keep-alive ends
is aborted at once if bytes still wait, and any other close (a protocol error, the client's
close, the server's close not answered in time) is turned into an abort when its bytes have not
gone within the close timeout (10 s).

A text message that is not UTF-8 closes the connection with 1007 here too, but without the
traceback uvicorn logs for each one (a client could fill the log with them).
"""

from __future__ import annotations

import asyncio
from asyncio import BaseTransport, Transport
from typing import TYPE_CHECKING, Any, Final, cast

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

if TYPE_CHECKING:
    from uvicorn._types import ASGIReceiveEvent, ASGISendEvent

INVALID_DATA: Final = 1007
"""The close code for a text message that is not UTF-8 (RFC 6455)."""


class FlowControlledWebSocketProtocol(WebSocketsSansIOProtocol):
    """``WebSocketsSansIOProtocol`` that pauses reading while its writes are paused (and
    closes a text message that is not UTF-8 without a traceback)."""

    _writes_paused = False

    def pause_writing(self) -> None:
        super().pause_writing()
        self._writes_paused = True
        self.transport.pause_reading()

    def resume_writing(self) -> None:
        super().resume_writing()
        self._writes_paused = False
        if not self.read_paused and not self.transport.is_closing():
            self.transport.resume_reading()

    async def receive(self) -> ASGIReceiveEvent:
        message = await super().receive()  # resumes reading when the app's queue is empty
        if self._writes_paused and not self.transport.is_closing():
            self.transport.pause_reading()
        return message

    def connection_made(self, transport: BaseTransport) -> None:
        super().connection_made(transport)
        guarded = _AbortingClose(self.transport, self.loop, self.close_timeout)
        self.transport = cast(Transport, guarded)

    async def send(self, message: ASGISendEvent) -> None:
        await super().send(message)
        if message["type"] == "websocket.close" and self._writes_paused:
            self.transport.pause_reading()  # uvicorn resumed reading for the client's close

    def keepalive_timeout(self) -> None:
        super().keepalive_timeout()
        if self.transport.get_write_buffer_size():
            self.transport.abort()

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type == "text" and not self.close_sent and not _utf8(self.frames):
            self.frames = []
            self.conn.send_close(INVALID_DATA, "a text message must be UTF-8")
            self.handle_parser_exception()  # sends the close, tells the app, closes
            return
        super().send_receive_event_to_app()


def _utf8(frames: list[bytes]) -> bool:
    try:
        (frames[0] if len(frames) == 1 else b"".join(frames)).decode()
    except UnicodeDecodeError:
        return False
    return True


class _AbortingClose:
    """A transport whose ``close`` becomes an abort if its unsent bytes are not gone within
    ``timeout`` seconds; everything else is the transport's own."""

    def __init__(
        self, transport: Transport, loop: asyncio.AbstractEventLoop, timeout: float
    ) -> None:
        self._transport = transport
        self._loop = loop
        self._timeout = timeout

    def close(self) -> None:
        transport = self._transport
        transport.close()
        if transport.get_write_buffer_size():  # abort() after the connection ended is a no-op
            self._loop.call_later(self._timeout, transport.abort)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)
