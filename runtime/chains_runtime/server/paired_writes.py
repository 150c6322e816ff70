"""``PairedWrites``: the transport a request's answer is written to, two writes per send.

uvicorn writes an answer's head as soon as the app sends ``http.response.start`` and its body
at ``http.response.body``: two ``send`` syscalls and, on loopback, often two reads for the
client, for every call. The app sends the two messages back to back, in one turn of the event
loop, so holding a write until the next one (or, at the latest, the end of the loop's turn)
sends head and body together with one ``writelines`` (one ``writev`` under uvloop), with no
added wait.

The protocol flushes the held write before it writes or closes the real transport itself, so
bytes never leave out of order.
"""

from __future__ import annotations

import asyncio
from typing import Any, Final

PAIRED_WRITE_MAX: Final = 65536
"""A write larger than this is not joined to the one held: asyncio's ``writelines`` (not
uvloop's) copies both into one buffer."""


class PairedWrites(asyncio.Transport):
    """Holds one write until the next write, ``close()``, ``flush()``, or the end of the loop's
    turn; the other transport methods a request's cycle uses go to the real transport."""

    __slots__ = ("_held", "_loop", "_scheduled", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None
        self._scheduled = False

    def write(self, data: bytes | bytearray | memoryview[Any]) -> None:
        held = self._held
        if held is None:
            self._held = bytes(data)
            if not self._scheduled:
                self._scheduled = True
                self._loop.call_soon(self._flush_at_turn_end)
        else:
            self._held = None
            if len(data) <= PAIRED_WRITE_MAX:
                self._transport.writelines((held, data))
            else:  # a system call more costs nothing next to copying a large body
                self._transport.write(held)
                self._transport.write(data)

    def _flush_at_turn_end(self) -> None:
        self._scheduled = False
        held = self._held
        if held is not None:
            self._held = None
            if not self._transport.is_closing():
                self._transport.write(held)

    def flush(self) -> None:
        """Write what is held now."""
        held = self._held
        if held is not None:
            self._held = None
            if not self._transport.is_closing():
                self._transport.write(held)

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)
