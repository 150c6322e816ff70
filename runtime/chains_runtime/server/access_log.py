"""One log line per ``run_remote`` request, on the logger ``chains_runtime.access``.

A line names the request id, the chainlet, the HTTP status and the duration, and for a stream
how it ended, e.g. ``request_id=4f1c... chainlet=Upper status=200 duration_ms=0.42``. It never
holds a request or response body, a header other than the request id, or a secret.

Two ways out, the same text:

- A chainlet process calls ``configure_access_log``: the logger gets one handler writing to
  stderr, and each line is formatted once and written straight to it (a few microseconds; a
  ``LogRecord`` through the logging machinery costs several times that on every request).
- Anywhere else (the logger configured by the application, caplog in tests), each line is an
  ordinary ``logging`` record, with ``request_id``, ``chainlet``, ``status``, ``duration_ms``
  (and ``stream``) as record attributes for structured handlers.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Final, TextIO

ACCESS_LOGGER_NAME: Final = "chains_runtime.access"
ACCESS_LOG_FORMAT: Final = "%(asctime)s %(levelname)s %(name)s %(message)s"

_LINE = "request_id=%s chainlet=%s status=%d duration_ms=%.2f"
_STREAM_LINE = _LINE + " stream=%s"


class AccessLog:
    """Writes the access lines of one chainlet; costs one level check when INFO is off."""

    __slots__ = ("_chainlet", "_logger")

    def __init__(self, chainlet: str) -> None:
        self._chainlet = chainlet
        self._logger = logging.getLogger(ACCESS_LOGGER_NAME)

    def record(
        self, request_id: str, status: int, seconds: float, stream: str | None = None
    ) -> None:
        logger = self._logger
        if not logger.isEnabledFor(logging.INFO):
            return
        ms = seconds * 1000.0
        direct = _direct_handler(logger)
        if direct is not None:
            if stream is None:
                direct.write_message(_LINE % (request_id, self._chainlet, status, ms))
            else:
                message = _STREAM_LINE % (request_id, self._chainlet, status, ms, stream)
                direct.write_message(message)
            return
        extra = {
            "request_id": request_id,
            "chainlet": self._chainlet,
            "status": status,
            "duration_ms": ms,
        }
        if stream is None:
            logger.info(_LINE, request_id, self._chainlet, status, ms, extra=extra)
        else:
            extra["stream"] = stream
            logger.info(_STREAM_LINE, request_id, self._chainlet, status, ms, stream, extra=extra)


def configure_access_log(level: int | str = logging.INFO, stream: TextIO | None = None) -> None:
    """Print the access log of this process on ``stream`` (stderr), for a chainlet process.

    Idempotent: calling it again only changes the level. ``level`` above INFO (e.g. the server
    run with ``--log-level warning``) silences the per-request lines.
    """
    logger = logging.getLogger(ACCESS_LOGGER_NAME)
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
        if not isinstance(level, int):  # e.g. uvicorn's "trace": everything
            level = logging.DEBUG
    logger.setLevel(level)
    if not any(isinstance(handler, _AccessHandler) for handler in logger.handlers):
        logger.addHandler(_AccessHandler(stream if stream is not None else sys.stderr))
    logger.propagate = False


def _direct_handler(logger: logging.Logger) -> _AccessHandler | None:
    """The handler to write to directly, when it alone would receive the record unchanged."""
    handlers = logger.handlers
    if len(handlers) != 1 or logger.propagate or logger.filters:
        return None
    handler = handlers[0]
    if type(handler) is not _AccessHandler or handler.filters or handler.level > logging.INFO:
        return None
    return handler


class _AccessHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The handler ``configure_access_log`` adds; also writes pre-formatted access lines."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.setFormatter(logging.Formatter(ACCESS_LOG_FORMAT))
        self._flush_each = not getattr(stream, "line_buffering", False)
        self._second = -1
        self._stamp = ""

    def write_message(self, message: str) -> None:
        """Write ``message`` as ``ACCESS_LOG_FORMAT`` would at INFO, without a LogRecord."""
        now = time.time()
        second = int(now)
        if second != self._second:  # the formatted date changes once a second
            self._second = second
            self._stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
        line = (
            f"{self._stamp},{int((now - second) * 1000):03d} INFO {ACCESS_LOGGER_NAME} {message}\n"
        )
        try:
            with self.lock:  # type: ignore[union-attr]
                self.stream.write(line)
                if self._flush_each:
                    self.stream.flush()
        except Exception:
            record = logging.LogRecord(
                ACCESS_LOGGER_NAME, logging.INFO, __file__, 0, message, None, None
            )
            self.handleError(record)
