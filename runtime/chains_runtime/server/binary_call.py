"""The MessagePack side of a call (see ``server.negotiation`` for which side a call takes):
its arguments and its result, next to the JSON ones of ``RunRemoteSpec``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import pydantic

from chains_runtime.binary import BinaryDecodeError, pack, unpack
from chains_runtime.protocol import MSGPACK_CONTENT_TYPE

MSGPACK_CONTENT_TYPE_HEADER: Final = (b"content-type", MSGPACK_CONTENT_TYPE.encode("latin-1"))

__all__ = [
    "MSGPACK_CONTENT_TYPE_HEADER",
    "BinaryDecodeError",
    "binary_arguments",
    "binary_result_encoder",
]


def binary_arguments(
    request_model: type[pydantic.BaseModel],
) -> Callable[[bytes], pydantic.BaseModel]:
    """Validates a MessagePack body (a map of arguments by name; empty is ``{}``) with the
    same model as JSON bodies, in pydantic's Python mode (lax, as for JSON).

    Raises ``BinaryDecodeError`` for bytes that are not MessagePack and
    ``pydantic.ValidationError`` for arguments that do not match the endpoint."""
    validate = request_model.model_validate

    def arguments(body: bytes) -> pydantic.BaseModel:
        return validate(unpack(body) if body else {})

    return arguments


def binary_result_encoder(what: str) -> Callable[[Any], bytes]:
    """Encodes a result as MessagePack; what cannot be sent is an error naming ``what``
    (``the result of run_remote``)."""

    def encode(result: Any) -> bytes:
        return pack(result, what)

    return encode
