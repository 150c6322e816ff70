"""Cross-origin calls from web pages, opt-in: off unless the deployer lists origins.

Without origins, a browser page on another origin cannot read a chainlet's answers, and cannot
send a JSON call at all (the preflight gets no CORS headers; a "simple" text/plain or form POST
is refused with 415). With origins configured (``https://app.example.com``, or ``*`` for any),
``OPTIONS /run_remote`` preflights from those origins are answered and responses to them carry
``access-control-allow-origin``. Credentials (cookies) are never allowed: calls authenticate
with headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from chains_runtime.protocol import REQUEST_ID_HEADER, SERVICE_TOKEN_HEADER

Headers = list[tuple[bytes, bytes]]

_ALLOWED_REQUEST_HEADERS: Final = ", ".join(
    ("content-type", "authorization", "x-api-key", REQUEST_ID_HEADER, SERVICE_TOKEN_HEADER)
)
PREFLIGHT_MAX_AGE_SEC: Final = 600


class CorsPolicy:
    """Which origins may call, and the headers that tell the browser so."""

    __slots__ = ("_any", "_origins", "extra_request_headers")

    def __init__(self, origins: Iterable[str], extra_request_headers: Iterable[str] = ()) -> None:
        normalized = [origin.strip().rstrip("/").lower() for origin in origins]
        self._any = "*" in normalized
        self._origins = frozenset(origin.encode("latin-1") for origin in normalized)
        self.extra_request_headers = tuple(extra_request_headers)

    def allowed_origin(self, raw_origin: bytes | None) -> bytes | None:
        """The ``Origin`` to echo in ``access-control-allow-origin``, or None if not allowed."""
        if raw_origin is None:
            return None
        if self._any or raw_origin.rstrip(b"/").lower() in self._origins:
            return raw_origin
        return None

    def response_headers(self, origin: bytes) -> Headers:
        return [
            (b"access-control-allow-origin", origin),
            (b"access-control-expose-headers", REQUEST_ID_HEADER.encode("latin-1")),
            (b"vary", b"origin"),
        ]

    def preflight_headers(self, origin: bytes) -> Headers:
        allowed = ", ".join((_ALLOWED_REQUEST_HEADERS, *self.extra_request_headers))
        return [
            (b"access-control-allow-origin", origin),
            (b"access-control-allow-methods", b"POST"),
            (b"access-control-allow-headers", allowed.encode("latin-1")),
            (b"access-control-max-age", b"%d" % PREFLIGHT_MAX_AGE_SEC),
            (b"vary", b"origin"),
        ]
