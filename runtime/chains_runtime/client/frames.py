"""Reading a streamed answer's NDJSON frames, in time linear in the data and bounded in memory.

Each received piece is scanned once for line ends: a line that spans many pieces is collected
and never searched again (searching the whole partial line for each new piece made one 512 MiB
line cost minutes of event-loop time). A partial line longer than ``max_frame_bytes`` fails at
once with ``DependencyResponseTooLargeError``, so an endless line is never buffered, and a
frame nested deeper than the JSON decoder can go is a ``ProtocolError``, not ``RecursionError``.
Both name the dependency.
"""

from __future__ import annotations

from collections.abc import Iterator

from chains_runtime.client.errors import DependencyResponseTooLargeError, describe_size
from chains_runtime.protocol import Frame, ProtocolError, parse_frame


class FrameReader:
    """Split the pieces of a stream's body into frames (see the module docstring)."""

    def __init__(self, dependency: str, url: str, max_frame_bytes: int) -> None:
        self.dependency = dependency
        self.url = url
        self.max_frame_bytes = max_frame_bytes
        self._partial = bytearray()

    def feed(self, chunk: bytes) -> Iterator[Frame]:
        """The frames completed by ``chunk``, each parsed as it is reached (empty lines are
        skipped)."""
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if self._partial:
                self._partial += chunk[start:end]
                line = bytes(self._partial)
                self._partial.clear()
            else:
                line = chunk[start:end]
            start = end + 1
            if len(line) > self.max_frame_bytes:
                raise self._too_large(len(line))
            if line and not line.isspace():
                yield self._parse(line)
        if start < len(chunk):
            if len(self._partial) + len(chunk) - start > self.max_frame_bytes:
                raise self._too_large(len(self._partial) + len(chunk) - start)
            self._partial += chunk[start:] if start else chunk

    def finish(self) -> Frame | None:
        """The last frame, when the body ended without a newline after it."""
        line, self._partial = bytes(self._partial), bytearray()
        if not line or line.isspace():
            return None
        return self._parse(line)

    def _parse(self, line: bytes) -> Frame:
        try:
            return parse_frame(line)
        except RecursionError:
            raise ProtocolError(
                f"stream from dependency {self.dependency!r} at {self.url}: a frame of "
                f"{len(line)} bytes is nested too deeply to decode"
            ) from None
        except ProtocolError as exc:
            raise ProtocolError(
                f"stream from dependency {self.dependency!r} at {self.url}: {exc}"
            ) from exc

    def _too_large(self, size: int) -> DependencyResponseTooLargeError:
        return DependencyResponseTooLargeError(
            self.dependency,
            self.url,
            f"a stream frame passed {size} bytes, over max_frame_bytes = "
            f"{describe_size(self.max_frame_bytes)}; the stream was closed",
            self.max_frame_bytes,
        )
