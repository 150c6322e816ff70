"""The request id of a ``run_remote`` call: taken from ``x-request-id`` or made up.

An incoming id is kept when it is 1 to 128 visible ASCII characters (so it is safe to log and
to send on); anything else is replaced by a fresh one, 32 hex digits like the client's (unique:
a random part per process, then a counter).
"""

from __future__ import annotations

import itertools
import os
import re

from starlette.types import ASGIApp, Receive, Scope, Send

from chains_runtime.context import REQUEST_ID
from chains_runtime.server.asgi import REQUEST_ID_KEY

_is_valid = re.compile(rb"[\x21-\x7e]{1,128}").fullmatch


def request_id_of(incoming: bytes | None) -> tuple[str, bytes]:
    """The id to serve a request under, as text and as header bytes: the caller's, when valid,
    else a fresh one of 32 hex digits (16 random per process, then a counter)."""
    if incoming is not None and _is_valid(incoming):
        return incoming.decode("ascii"), incoming
    fresh = f"{_PROCESS_PART}{next(_sequence):016x}"  # no system call per request
    return fresh, fresh.encode("ascii")


_PROCESS_PART = os.urandom(8).hex()
# A 56-bit random start: the counter needs more than 16 hex digits only after 2**63 requests.
_sequence = itertools.count(int.from_bytes(os.urandom(7), "big"))



class RequestIdMiddleware:
    """ASGI middleware that fixes the request id for apps other than ``create_app``'s.

    ``create_app``'s app does this itself. For any other app, the id (incoming or fresh) is put
    in the request headers and in ``current_request_id()`` for the duration of the request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope.get("headers", [])
        incoming = next((value for name, value in headers if name == REQUEST_ID_KEY), None)
        request_id, raw = request_id_of(incoming)
        if raw is not incoming:
            kept = [(name, value) for name, value in headers if name != REQUEST_ID_KEY]
            scope = {**scope, "headers": [*kept, (REQUEST_ID_KEY, raw)]}
        token = REQUEST_ID.set(request_id)
        try:
            await self.app(scope, receive, send)
        finally:
            REQUEST_ID.reset(token)
