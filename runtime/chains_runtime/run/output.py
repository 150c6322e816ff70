"""Where ``chains-run`` writes: results to stdout, one JSON line each; everything else to stderr.

Chain code runs in this process too (the chain file is imported here, and ``--in-process`` runs
it all here), and a ``print`` in it must not end up among the results. ``ResultChannel`` moves
file descriptor 1 aside for the results and points fd 1 (and ``sys.stdout``) at stderr while
the command runs.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from types import TracebackType
from typing import Any, TextIO

import pydantic_core

from chains_runtime.run.secret_values import Redactor

PROGRAM = "chains-run"


class OutputClosedError(Exception):
    """Whoever reads the results (stdout) went away."""


class UnprintableItemError(Exception):
    """A streamed ``bytes`` item is not UTF-8 text, so chains-run cannot print it as a JSON
    string; the message is the whole error line, the same in both ways of running."""


def stream_item_json(item: Any, entrypoint: str) -> Any:
    """A streamed item as chains-run prints it: the JSON value pydantic makes of it; of a
    ``bytes`` item (also ``bytearray``, ``memoryview``), its UTF-8 text, and bytes that are not
    UTF-8 raise ``UnprintableItemError`` naming ``entrypoint``. Both ways of running use it, so
    they print the same bytes and the same error: in-process, items are Python objects; a served
    chain sends a ``bytes`` item as ``bytes``."""
    if not isinstance(item, (bytes, bytearray, memoryview)):
        return json.loads(pydantic_core.to_json(item))
    data = item if isinstance(item, bytes) else bytes(item)
    try:
        return data.decode("utf-8")  # what pydantic writes of bytes, without the JSON round trip
    except UnicodeDecodeError as exc:
        raise UnprintableItemError(
            f"`{entrypoint}` streamed {len(data)} bytes that are not UTF-8 text (at index "
            f"{exc.start}, byte 0x{data[exc.start]:02x}: {exc.reason}), which chains-run cannot "
            "print as a JSON string"
        ) from None


def json_line(value: Any) -> bytes:
    """The output form of one result: compact JSON, non-ASCII kept, and a newline."""
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return (text + "\n").encode("utf-8")


class ResultChannel:
    """Owns the real stdout for results; while open, anything else written to fd 1 goes to stderr.

    Use as a context manager; results are written unbuffered, so each line is out as soon as
    ``write`` returns (a streaming result appears item by item).
    """

    def __init__(self) -> None:
        self._fd: int | None = None

    def __enter__(self) -> ResultChannel:
        sys.stdout.flush()
        self._fd = os.dup(1)
        os.dup2(2, 1)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
        os.dup2(self._fd, 1)
        os.close(self._fd)
        self._fd = None

    def write(self, value: Any) -> None:
        """Write one result line; OutputClosedError if the reader went away."""
        assert self._fd is not None, "ResultChannel used outside its with-block"
        data = memoryview(json_line(value))
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
        except BrokenPipeError:
            raise OutputClosedError("stdout was closed before all results were written") from None


class Reporter:
    """Progress, warnings and errors on stderr, each line prefixed, secret values masked."""

    def __init__(self, redact: Redactor, stream: TextIO | None = None) -> None:
        self._redact = redact
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stderr

    def _write(self, text: str) -> None:
        stream = self.stream
        stream.write(self._redact(text))
        stream.flush()

    def progress(self, message: str) -> None:
        self._write(f"{PROGRAM}: {message}\n")

    def warning(self, message: str) -> None:
        self._write(f"{PROGRAM}: warning: {message}\n")

    def error(self, message: str) -> None:
        self._write(f"{PROGRAM}: error: {message}\n")

    def block(self, title: str, text: str) -> None:
        """A titled multi-line block (a traceback, a log tail), its lines as they are."""
        body = text.rstrip("\n")
        self._write(f"{PROGRAM}: {title}:\n{body}\n" if body else f"{PROGRAM}: {title}: (empty)\n")

    def lines(self, prefix: str, text: str) -> None:
        """Copy lines of a child's log, each prefixed (``--verbose``)."""
        if text:
            self._write("".join(f"{prefix}{line}\n" for line in text.splitlines()))

    def chainlet_failed(
        self, chainlet: str, error_type: str, message: str, traceback: str | None
    ) -> None:
        """A chainlet raised: where, what, and its traceback (identical in both run modes)."""
        self.error(f"chainlet `{chainlet}` raised {error_type}: {message}")
        if traceback:
            self.block(f"traceback of `{chainlet}`", traceback)
