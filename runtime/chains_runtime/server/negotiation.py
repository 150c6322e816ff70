"""Which format a call came in and which it is answered in: JSON or MessagePack.

A request is JSON (``application/json``) or MessagePack (``application/x-msgpack``, or truss's
``application/octet-stream``); any other content type is 415. The answer (a result or a
stream) is MessagePack when ``accept`` names a MessagePack type (``application/x-msgpack``,
``application/x-msgpack-stream`` or ``application/octet-stream``) with a quality at least that
of any JSON type it names (``application/json``, ``application/x-ndjson``), JSON when it names
a JSON type, and otherwise (no ``accept``, ``*/*``, only other types) in the request's format.
Error envelopes are always JSON.
"""

from __future__ import annotations

from typing import Final

from chains_runtime.protocol import (
    JSON_CONTENT_TYPE,
    MSGPACK_CONTENT_TYPE,
    MSGPACK_STREAM_CONTENT_TYPE,
    OCTET_STREAM_CONTENT_TYPE,
    STREAM_CONTENT_TYPE,
)
from chains_runtime.server.asgi import media_type_of

_MSGPACK_REQUEST_TYPES: Final = frozenset(
    {MSGPACK_CONTENT_TYPE.encode("latin-1"), OCTET_STREAM_CONTENT_TYPE.encode("latin-1")}
)
_MSGPACK_ANSWER_TYPES: Final = _MSGPACK_REQUEST_TYPES | {
    MSGPACK_STREAM_CONTENT_TYPE.encode("latin-1")
}
_JSON_ANSWER_TYPES: Final = frozenset(
    {JSON_CONTENT_TYPE.encode("latin-1"), STREAM_CONTENT_TYPE.encode("latin-1")}
)
_JSON_ACCEPT: Final = JSON_CONTENT_TYPE.encode("latin-1")


def is_msgpack_content_type(value: bytes | None) -> bool:
    """Whether a request's ``content-type`` is a MessagePack one (parameters and case
    ignored)."""
    if value is None:
        return False
    return media_type_of(value) in _MSGPACK_REQUEST_TYPES


def answers_binary(accept: bytes | None, request_is_binary: bool) -> bool:
    """Whether the answer is MessagePack (see the module docstring)."""
    if accept is None:
        return request_is_binary
    if accept == _JSON_ACCEPT:  # what a JSON caller sends: no parsing
        return False
    accept = accept.lower()
    if b"msgpack" not in accept and b"octet-stream" not in accept:
        return False if b"json" in accept else request_is_binary
    best_binary = best_json = -1.0
    for entry in accept.split(b","):
        media, _, parameters = entry.partition(b";")
        media = media.strip()
        quality = _quality(parameters)
        if media in _MSGPACK_ANSWER_TYPES:
            best_binary = max(best_binary, quality)
        elif media in _JSON_ANSWER_TYPES:
            best_json = max(best_json, quality)
    if best_binary > 0 and best_binary > best_json:
        return True
    if best_json > 0 and best_json > best_binary:
        return False
    return request_is_binary if best_binary > 0 else False


def _quality(parameters: bytes) -> float:
    for parameter in parameters.split(b";"):
        name, _, value = parameter.partition(b"=")
        if name.strip() == b"q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0
        # other parameters do not change the quality
    return 1.0
