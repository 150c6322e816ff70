"""MessagePack: the binary form of calls (``depends(X, use_binary=True)``), both ways.

A binary request is ``content-type: application/x-msgpack`` (``MSGPACK_CONTENT_TYPE``; truss's
``application/octet-stream`` is accepted as the same) with a MessagePack map of the
``run_remote`` arguments by name; the answer is a MessagePack value of the same content type,
and a stream is a sequence of length-prefixed MessagePack frames
(``MSGPACK_STREAM_CONTENT_TYPE``). See docs/protocol.md, "Binary calls".

What MessagePack carries as itself: ``None``, ``bool``, ``int`` (64 bits), ``float``, ``str``,
``bytes`` (as ``bin``, never base64), lists, tuples and dicts. Everything else is encoded as
JSON would encode it, so the receiving side validates it the same way: pydantic models,
dataclasses and TypedDicts as maps (by alias, as in JSON), numpy arrays and ``NumpyArrayField``
as ``msgpack_numpy``'s map with their raw bytes (``pydantic_numpy.binary_map``), numpy scalars
as numbers, sets as lists, and datetimes, UUIDs, decimals, enums and the like as their JSON
values. Unlike JSON, floats may be NaN or infinite (MessagePack has them; a ``float``
parameter still refuses them, as in JSON).
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from typing import Any, Final

import msgpack  # type: ignore[import-untyped, unused-ignore]
import pydantic
import pydantic_core

from chains_runtime.errors import ChainsError
from chains_runtime.protocol import (
    JSON_CONTENT_TYPE,
    ErrorDetail,
    ProtocolError,
    decode_json_answer,
    media_type,
)
from chains_runtime.pydantic_numpy import NumpyArrayField, binary_map

FRAME_PREFIX_BYTES: Final = 4
"""Each frame of a binary stream is its length (4 bytes, big-endian, unsigned), then that many
bytes of one MessagePack map: ``{"data": item}``, ``{"end": true}`` or ``{"error": {...}}``."""

_ANY: Final[pydantic.TypeAdapter[Any]] = pydantic.TypeAdapter(Any)


class BinaryEncodeError(ChainsError, TypeError):
    """A value holds something MessagePack (and JSON) cannot carry."""


class BinaryDecodeError(ChainsError, ValueError):
    """Bytes that are not one complete MessagePack value."""


def _default(obj: Any) -> Any:
    """What MessagePack cannot pack itself becomes something it can (see the docstring)."""
    numpy = sys.modules.get("numpy")  # not imported: no value can be a numpy one
    if numpy is not None:
        if isinstance(obj, numpy.ndarray):
            return binary_map(obj)
        if isinstance(obj, numpy.generic):
            return obj.item()
    if isinstance(obj, NumpyArrayField):
        return binary_map(obj.array)
    if isinstance(obj, pydantic.BaseModel):
        return obj.model_dump(mode="python", by_alias=True)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _ANY.dump_python(obj, mode="python", by_alias=True)
    if isinstance(obj, set | frozenset):
        return list(obj)
    try:
        return pydantic_core.to_jsonable_python(obj)
    except pydantic_core.PydanticSerializationError:
        raise TypeError(f"{type(obj).__name__} values cannot be encoded") from None


_REUSED_BUFFER_LIMIT: Final = 16 * 1024 * 1024
"""A thread keeps its packer (and the packer's buffer) for the next value only up to this size:
a warm buffer halves the time of packing a large array (fresh pages are what it costs), and
a thread never holds more than this for it."""
_packers = threading.local()


def pack(value: Any, what: str = "the value") -> bytes:
    """``value`` as MessagePack; ``BinaryEncodeError`` names ``what`` when it cannot be."""
    packer = getattr(_packers, "packer", None)
    if packer is None:
        packer = msgpack.Packer(default=_default, use_bin_type=True)
    _packers.packer = None  # not shared by a pack() that starts inside this one's default
    try:
        encoded: bytes = packer.pack(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise BinaryEncodeError(f"{what} cannot be encoded as MessagePack: {exc}") from None
    if len(encoded) <= _REUSED_BUFFER_LIMIT:
        _packers.packer = packer
    return encoded


BYTES_PER_CONTAINER: Final = 2
"""A body may hold one map or array per this many of its bytes (and ``MIN_CONTAINERS``)."""
MIN_CONTAINERS: Final = 1024
MAP_CONTAINERS: Final = 3
"""A map counts as this many containers: a map of one entry (three bytes in MessagePack) is a
Python object of some 220 bytes, an empty list of 56."""


_TOO_MANY_CONTAINERS: Final = (
    f"more than one map or array per {BYTES_PER_CONTAINER} bytes of the body (a map counting "
    f"as {MAP_CONTAINERS})"
)


class _TooManyContainers(ValueError):
    pass


def unpack(body: bytes) -> Any:
    """The one MessagePack value ``body`` holds (``BinaryDecodeError`` otherwise).

    Strings must be UTF-8; ``bin`` stays ``bytes``. Map keys may be any hashable MessagePack
    value (integers too, as Python dicts allow); int and float keys cannot be made to collide
    in numbers (64 bits), and array or map keys are unhashable, so this is no hash-flooding
    risk. Nesting is bounded by the unpacker's stack. An empty map or array is one byte but a
    Python object of some 60: past one per ``BYTES_PER_CONTAINER`` bytes of the body (a list
    of one small number is two), decoding stops, so a body cannot take much more memory than a
    JSON body of its size (where ``{}`` takes three). A map counts as ``MAP_CONTAINERS``, so
    small non-empty maps cannot go past that either. (Larger containers need as many bytes of
    body as they hold items.)
    """
    budget = max(MIN_CONTAINERS, len(body) // BYTES_PER_CONTAINER)

    def counted_list(container: Any) -> Any:
        nonlocal budget
        budget -= 1
        if budget < 0:
            raise _TooManyContainers(_TOO_MANY_CONTAINERS)
        return container

    def counted_map(container: Any) -> Any:
        nonlocal budget
        budget -= MAP_CONTAINERS
        if budget < 0:
            raise _TooManyContainers(_TOO_MANY_CONTAINERS)
        return container

    try:
        return msgpack.unpackb(
            body, raw=False, strict_map_key=False, object_hook=counted_map, list_hook=counted_list
        )
    except (ValueError, TypeError) as exc:  # every unpack failure is one of these
        reason = str(exc) or type(exc).__name__
        raise BinaryDecodeError(f"not a valid MessagePack value ({reason})") from None


def _framed(payload: bytes) -> bytes:
    return len(payload).to_bytes(FRAME_PREFIX_BYTES, "big") + payload


def encode_data_frame(item: Any) -> bytes:
    if isinstance(item, memoryview) and not item.c_contiguous:
        item = bytes(item)  # msgpack packs only a contiguous buffer (a view[::2] is not)
    return _framed(pack({"data": item}, "a streamed item"))


END_FRAME: Final = _framed(msgpack.packb({"end": True}))


def encode_error_frame(detail: ErrorDetail) -> bytes:
    return _framed(pack({"error": detail.model_dump()}))


def decode_answer(content: bytes, content_type: str | None, source: str) -> Any:
    """The answer of a binary call from ``source``: MessagePack, unless its content type says
    JSON (a peer may answer JSON); empty is None. Bytes that are neither raise
    ``ProtocolError``."""
    if media_type(content_type) == JSON_CONTENT_TYPE:
        return decode_json_answer(content, source)
    if not content:
        return None
    try:
        return unpack(content)
    except BinaryDecodeError as exc:
        raise ProtocolError(f"{source} answered with a body that is {exc}") from None
