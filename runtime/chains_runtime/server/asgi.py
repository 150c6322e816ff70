"""The few ASGI moves the server makes: read a bounded body, send a whole response, notice a
client that left. Plain functions over ``receive``/``send``, no request or response objects."""

from __future__ import annotations

from typing import Final

import anyio.lowlevel
from starlette.types import Receive, Scope, Send

from chains_runtime.protocol import JSON_CONTENT_TYPE, REQUEST_ID_HEADER

Headers = list[tuple[bytes, bytes]]

JSON_CONTENT_TYPE_HEADER: Final = (b"content-type", JSON_CONTENT_TYPE.encode("latin-1"))
REQUEST_ID_KEY: Final = REQUEST_ID_HEADER.encode("latin-1")
CONNECTION_CLOSE: Final = (b"connection", b"close")


_JSON_MEDIA_TYPE: Final = JSON_CONTENT_TYPE.encode("latin-1")


def is_json_content_type(value: bytes | None) -> bool:
    """Whether a ``content-type`` header value is ``application/json`` (parameters such as
    ``charset`` allowed, case ignored)."""
    if value == _JSON_MEDIA_TYPE:
        return True
    return value is not None and media_type_of(value) == _JSON_MEDIA_TYPE


def media_type_of(value: bytes) -> bytes:
    """The media type of a ``content-type`` header value, lower-cased, without parameters."""
    return value.split(b";", 1)[0].strip().lower()


def header_value(scope: Scope, name: bytes) -> bytes | None:
    """The value of the first header ``name`` (lower case) of an HTTP scope, or None."""
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


class BodyTooLarge(Exception):
    """The request body is larger than the server accepts."""


class ClientGone(Exception):
    """The client disconnected before its request was complete."""


async def read_body(receive: Receive, content_length: bytes | None, limit: int) -> bytes:
    """The whole request body, at most ``limit`` bytes (else ``BodyTooLarge``)."""
    if content_length is not None and content_length.isdigit() and int(content_length) > limit:
        raise BodyTooLarge
    message = await receive()
    if message["type"] != "http.request":
        raise ClientGone
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):  # the usual case: one message
        if len(body) > limit:
            raise BodyTooLarge
        return body
    chunks = bytearray(body)
    while True:
        if len(chunks) > limit:
            raise BodyTooLarge
        message = await receive()
        if message["type"] != "http.request":
            raise ClientGone
        chunks += message.get("body", b"")
        if not message.get("more_body", False):
            break
    if len(chunks) > limit:
        raise BodyTooLarge
    return bytes(chunks)


async def send_response(send: Send, status: int, body: bytes, headers: Headers) -> None:
    """Send a complete response; ``headers`` gets its content-length here."""
    headers.append((b"content-length", b"%d" % len(body)))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def wait_for_disconnect(receive: Receive) -> None:
    """Return once the client has disconnected (call it after the body was read)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        await anyio.lowlevel.checkpoint()  # a server that repeats messages must not spin us
