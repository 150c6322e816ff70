"""Reading a streamed answer's MessagePack frames, bounded like the NDJSON ones.

Each frame is a 4-byte big-endian length and that many bytes of one MessagePack map
(``binary.FRAME_PREFIX_BYTES``). A length over ``max_frame_bytes`` fails as soon as its prefix
arrives (``DependencyResponseTooLargeError``), before any of the frame is kept; a frame that is
not MessagePack, or not one of the three frames, is a ``ProtocolError`` naming the dependency.
Bytes are kept only until their frame is complete, so memory stays within one frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pydantic

from chains_runtime.binary import FRAME_PREFIX_BYTES, BinaryDecodeError, unpack
from chains_runtime.client.errors import DependencyResponseTooLargeError, describe_size
from chains_runtime.protocol import (
    UNKNOWN_FRAME_HINT,
    Frame,
    ProtocolError,
    frame_from_object,
)


class BinaryFrameReader:
    """Split the pieces of a binary stream's body into frames (see the module docstring)."""

    def __init__(self, dependency: str, url: str, max_frame_bytes: int) -> None:
        self.dependency = dependency
        self.url = url
        self.max_frame_bytes = max_frame_bytes
        self._buffer = bytearray()
        self._needed = FRAME_PREFIX_BYTES  # bytes of the prefix, or of the frame it announced
        self._in_frame = False

    def feed(self, chunk: bytes) -> Iterator[Frame]:
        """The frames completed by ``chunk``, each decoded as it is reached."""
        self._buffer += chunk
        start = 0
        available = len(self._buffer)
        while available - start >= self._needed:
            end = start + self._needed
            if self._in_frame:
                with memoryview(self._buffer) as view:  # one copy, and the buffer stays free
                    payload = bytes(view[start:end])
                self._in_frame, self._needed = False, FRAME_PREFIX_BYTES
                start = end
                yield self._decode(payload)
            else:
                size = int.from_bytes(self._buffer[start:end], "big")
                if size > self.max_frame_bytes:
                    raise self._too_large(size)
                self._in_frame, self._needed = True, size
                start = end
        if start:
            del self._buffer[:start]

    def finish(self) -> Frame | None:
        """None: a frame is complete only with all its bytes, so what is left of a body that
        ended inside one is dropped (and the stream, without its end frame, failed)."""
        self._buffer.clear()
        return None

    def _decode(self, payload: bytes) -> Frame:
        try:
            obj: Any = unpack(payload)
        except BinaryDecodeError as exc:
            raise self._protocol_error(f"a frame of {len(payload)} bytes is {exc}") from None
        try:
            frame = frame_from_object(obj)
        except pydantic.ValidationError:
            raise self._protocol_error("a malformed error frame") from None
        if frame is not None:
            return frame
        shown = repr(obj)
        raise self._protocol_error(
            'expected a frame {"data": ...}, {"end": true} or {"error": {...}}, got '
            + (shown if len(shown) <= 200 else shown[:200] + "...")
            + UNKNOWN_FRAME_HINT
        )

    def _protocol_error(self, what: str) -> ProtocolError:
        return ProtocolError(
            f"binary stream from dependency {self.dependency!r} at {self.url}: {what}"
        )

    def _too_large(self, size: int) -> DependencyResponseTooLargeError:
        return DependencyResponseTooLargeError(
            self.dependency,
            self.url,
            f"a stream frame of {size} bytes is over max_frame_bytes = "
            f"{describe_size(self.max_frame_bytes)}; the stream was closed",
            self.max_frame_bytes,
        )
