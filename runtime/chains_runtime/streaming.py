"""Typed streams of pydantic models over a ``bytes`` stream: ``truss_chains.streaming``.

A streaming ``run_remote`` that yields ``bytes`` can send an optional header, items and an
optional footer, each a pydantic model::

    TYPES = streaming.stream_types(Item, header_type=Header, footer_type=Footer)

    async def run_remote(self, n: int) -> AsyncIterator[bytes]:      # the producer
        writer = streaming.stream_writer(TYPES)
        yield writer.yield_header(Header(n=n))
        for i in range(n):
            yield writer.yield_item(Item(i=i))
        yield writer.yield_footer(Footer(done=True))

    reader = streaming.stream_reader(TYPES, self._producer.run_remote(3))  # the consumer
    header = await reader.read_header()
    async for item in reader.read_items():
        ...
    footer = await reader.read_footer()

The format is truss's, so a truss chainlet can read what this one writes and the other way
round: each part is a 5-byte tag (its kind as an unsigned byte: 2 header, 3 item, 4 footer;
then the payload's length as a big-endian unsigned 32-bit integer) followed by the payload,
the model as JSON. The end of the byte stream ends the stream. Chunk boundaries do not matter:
the reader buffers across them. Served, each part travels as bytes: in a JSON stream's bytes
frame (one character per byte), or as MessagePack ``bin`` (docs/protocol.md, section 6).
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import struct
from collections.abc import AsyncIterator
from typing import Any, Generic, TypeVar, cast, overload

import pydantic
import pydantic_core

ItemT = TypeVar("ItemT", bound=pydantic.BaseModel)
HeaderT = TypeVar("HeaderT", bound=pydantic.BaseModel)
FooterT = TypeVar("FooterT", bound=pydantic.BaseModel)
# What a ``StreamTypes`` holds for the header and the footer: a model class, or None.
HeaderTT = TypeVar("HeaderTT")
FooterTT = TypeVar("FooterTT")
_ModelT = TypeVar("_ModelT", bound=pydantic.BaseModel)

_TAG = struct.Struct(">BI")
_MAX_PAYLOAD = 2**32 - 1


class _Kind(enum.IntEnum):
    """A part's kind; the values are truss's, on the wire."""

    HEADER = 2
    ITEM = 3
    FOOTER = 4


@dataclasses.dataclass
class StreamTypes(Generic[ItemT, HeaderTT, FooterTT]):
    """The item model of a stream, and its header and footer models (or None)."""

    item_type: type[ItemT]
    header_type: HeaderTT
    footer_type: FooterTT


@overload
def stream_types(
    item_type: type[ItemT], *, header_type: type[HeaderT], footer_type: type[FooterT]
) -> StreamTypes[ItemT, HeaderT, FooterT]: ...


@overload
def stream_types(
    item_type: type[ItemT], *, header_type: type[HeaderT]
) -> StreamTypes[ItemT, HeaderT, None]: ...


@overload
def stream_types(
    item_type: type[ItemT], *, footer_type: type[FooterT]
) -> StreamTypes[ItemT, None, FooterT]: ...


@overload
def stream_types(item_type: type[ItemT]) -> StreamTypes[ItemT, None, None]: ...


def stream_types(
    item_type: type[ItemT],
    *,
    header_type: type[pydantic.BaseModel] | None = None,
    footer_type: type[pydantic.BaseModel] | None = None,
) -> StreamTypes[ItemT, Any, Any]:
    """The models of a stream: items, and optionally a header and a footer."""
    for what, model in (
        ("item_type", item_type),
        ("header_type", header_type),
        ("footer_type", footer_type),
    ):
        if model is not None and not (
            isinstance(model, type) and issubclass(model, pydantic.BaseModel)
        ):
            raise TypeError(f"stream_types: {what} must be a pydantic model class, got {model!r}")
    return StreamTypes(item_type, header_type, footer_type)


# -- reading ---------------------------------------------------------------------------------


class _Parts:
    """The parts (kind, payload) of a byte stream, read across chunk boundaries."""

    def __init__(self, chunks: AsyncIterator[bytes]) -> None:
        self._chunks = chunks
        self._buffer = bytearray()

    async def _fill(self, size: int) -> bool:
        """Whether ``size`` bytes are buffered (False: the stream ended before)."""
        while len(self._buffer) < size:
            try:
                chunk = await self._chunks.__anext__()
            except StopAsyncIteration:
                return False
            self._buffer += chunk
        return True

    def _take(self, size: int) -> bytes:
        with memoryview(self._buffer) as view:  # one copy (a bytearray slice would be two)
            taken = bytes(view[:size])
        del self._buffer[:size]
        return taken

    async def next(self) -> tuple[_Kind, bytes] | None:
        """The next part, or None where the stream ends cleanly (between two parts).

        A stream that ends inside a part raises ``asyncio.IncompleteReadError`` (as truss's
        reader does); an unknown kind, ``ValueError``."""
        if not await self._fill(_TAG.size):
            if not self._buffer:
                return None
            raise asyncio.IncompleteReadError(bytes(self._buffer), _TAG.size)
        kind_value, length = _TAG.unpack(self._take(_TAG.size))
        try:
            kind = _Kind(kind_value)
        except ValueError:
            raise ValueError(
                f"not a truss_chains.streaming stream: a part of unknown kind {kind_value}"
            ) from None
        if not await self._fill(length):
            raise asyncio.IncompleteReadError(bytes(self._buffer), length)
        return kind, self._take(length)


class _StreamReader(Generic[ItemT, HeaderTT, FooterTT]):
    """Reads the items of a stream (``read_items``); see ``stream_reader``."""

    def __init__(
        self, types: StreamTypes[ItemT, HeaderTT, FooterTT], stream: AsyncIterator[bytes]
    ) -> None:
        self._types = types
        self._parts = _Parts(stream)
        self._footer_payload: bytes | None = None

    async def read_items(self) -> AsyncIterator[ItemT]:
        """Each item, until the footer (kept for ``read_footer``) or the end."""
        while True:
            part = await self._parts.next()
            if part is None:
                return
            kind, payload = part
            if kind is _Kind.HEADER:
                raise ValueError(
                    "the stream starts with a header: call `read_header()` before `read_items()`"
                )
            if kind is _Kind.FOOTER:
                self._footer_payload = payload
                return
            yield self._types.item_type.model_validate_json(payload)

    async def _read_header(self, model: type[_ModelT]) -> _ModelT:
        part = await self._parts.next()
        if part is None or part[0] is not _Kind.HEADER:
            raise ValueError("the stream has no header (or it was read already)")
        return model.model_validate_json(part[1])

    async def _read_footer(self, model: type[_ModelT]) -> _ModelT:
        payload = self._footer_payload
        if payload is None:
            part = await self._parts.next()
            if part is None or part[0] is not _Kind.FOOTER:
                raise ValueError("the stream has no footer (or it was read already)")
            payload = part[1]
        self._footer_payload = None
        return model.model_validate_json(payload)


class StreamReaderWithHeader(_StreamReader[ItemT, HeaderT, FooterTT]):
    async def read_header(self) -> HeaderT:
        """The header; read it before the items."""
        return await self._read_header(cast(type[HeaderT], self._types.header_type))


class StreamReaderWithFooter(_StreamReader[ItemT, HeaderTT, FooterT]):
    async def read_footer(self) -> FooterT:
        """The footer; read it after the items."""
        return await self._read_footer(cast(type[FooterT], self._types.footer_type))


class StreamReaderFull(_StreamReader[ItemT, HeaderT, FooterT]):
    async def read_header(self) -> HeaderT:
        """The header; read it before the items."""
        return await self._read_header(cast(type[HeaderT], self._types.header_type))

    async def read_footer(self) -> FooterT:
        """The footer; read it after the items."""
        return await self._read_footer(cast(type[FooterT], self._types.footer_type))


@overload
def stream_reader(
    types: StreamTypes[ItemT, None, None], stream: AsyncIterator[bytes]
) -> _StreamReader[ItemT, None, None]: ...


@overload
def stream_reader(
    types: StreamTypes[ItemT, HeaderT, None], stream: AsyncIterator[bytes]
) -> StreamReaderWithHeader[ItemT, HeaderT, None]: ...


@overload
def stream_reader(
    types: StreamTypes[ItemT, None, FooterT], stream: AsyncIterator[bytes]
) -> StreamReaderWithFooter[ItemT, None, FooterT]: ...


@overload
def stream_reader(
    types: StreamTypes[ItemT, HeaderT, FooterT], stream: AsyncIterator[bytes]
) -> StreamReaderFull[ItemT, HeaderT, FooterT]: ...


def stream_reader(
    types: StreamTypes[ItemT, Any, Any], stream: AsyncIterator[bytes]
) -> _StreamReader[ItemT, Any, Any]:
    """A reader of ``stream`` (the ``AsyncIterator[bytes]`` a streaming dependency returns),
    with ``read_header`` / ``read_footer`` when ``types`` has them."""
    has_header, has_footer = types.header_type is not None, types.footer_type is not None
    if has_header and has_footer:
        return StreamReaderFull(types, stream)
    if has_header:
        return StreamReaderWithHeader(types, stream)
    if has_footer:
        return StreamReaderWithFooter(types, stream)
    return _StreamReader(types, stream)


# -- writing ---------------------------------------------------------------------------------


class _Sent(enum.Enum):
    NOTHING = enum.auto()
    HEADER = enum.auto()
    ITEM = enum.auto()
    FOOTER = enum.auto()


_BASE64_BYTES_HINT = (
    "; pydantic writes a `bytes` field to JSON as UTF-8 text, so bytes that are not text need "
    "the base64 form on the model (truss reads it the same way): `model_config = "
    'pydantic.ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")`'
)


def _model_json(kind: _Kind, model: pydantic.BaseModel) -> bytes:
    """``model.model_dump_json().encode()``, exactly truss's payload; a model pydantic cannot
    write raises ``ValueError`` naming the part and the model.

    Not ``__pydantic_serializer__.to_json(model)``, which skips the encoding copy but not
    ``model_dump_json``'s keyword defaults (older pydantic-core writes serialization aliases
    there, ``model_dump_json`` does not) nor a model's own ``model_dump_json``."""
    try:
        return model.model_dump_json().encode()
    except pydantic_core.PydanticSerializationError as exc:
        hint = _BASE64_BYTES_HINT if "utf-8" in str(exc) else ""
        raise ValueError(
            f"cannot write the stream's {kind.name.lower()} ({type(model).__name__}) as JSON: "
            f"{exc}{hint}"
        ) from exc


class _StreamWriter(Generic[ItemT, HeaderTT, FooterTT]):
    """Turns items into the bytes to yield (``yield_item``); see ``stream_writer``."""

    def __init__(self, types: StreamTypes[ItemT, HeaderTT, FooterTT]) -> None:
        self._types = types
        self._sent = _Sent.NOTHING

    @staticmethod
    def _part(kind: _Kind, model: pydantic.BaseModel) -> bytes:
        payload = _model_json(kind, model)
        if len(payload) > _MAX_PAYLOAD:
            raise ValueError(f"a stream part is limited to {_MAX_PAYLOAD} bytes of JSON")
        return _TAG.pack(kind, len(payload)) + payload

    def yield_item(self, item: ItemT) -> bytes:
        if self._sent is _Sent.FOOTER:
            raise ValueError("cannot yield an item after the footer")
        self._sent = _Sent.ITEM
        return self._part(_Kind.ITEM, item)

    def _yield_header(self, header: pydantic.BaseModel) -> bytes:
        if self._sent is not _Sent.NOTHING:
            raise ValueError("the header must be yielded first, and once")
        self._sent = _Sent.HEADER
        return self._part(_Kind.HEADER, header)

    def _yield_footer(self, footer: pydantic.BaseModel) -> bytes:
        if self._sent is _Sent.FOOTER:
            raise ValueError("the footer can be yielded only once")
        self._sent = _Sent.FOOTER
        return self._part(_Kind.FOOTER, footer)


class StreamWriterWithHeader(_StreamWriter[ItemT, HeaderT, FooterTT]):
    def yield_header(self, header: HeaderT) -> bytes:
        return self._yield_header(header)


class StreamWriterWithFooter(_StreamWriter[ItemT, HeaderTT, FooterT]):
    def yield_footer(self, footer: FooterT) -> bytes:
        return self._yield_footer(footer)


class StreamWriterFull(_StreamWriter[ItemT, HeaderT, FooterT]):
    def yield_header(self, header: HeaderT) -> bytes:
        return self._yield_header(header)

    def yield_footer(self, footer: FooterT) -> bytes:
        return self._yield_footer(footer)


@overload
def stream_writer(types: StreamTypes[ItemT, None, None]) -> _StreamWriter[ItemT, None, None]: ...


@overload
def stream_writer(
    types: StreamTypes[ItemT, HeaderT, None],
) -> StreamWriterWithHeader[ItemT, HeaderT, None]: ...


@overload
def stream_writer(
    types: StreamTypes[ItemT, None, FooterT],
) -> StreamWriterWithFooter[ItemT, None, FooterT]: ...


@overload
def stream_writer(
    types: StreamTypes[ItemT, HeaderT, FooterT],
) -> StreamWriterFull[ItemT, HeaderT, FooterT]: ...


def stream_writer(types: StreamTypes[ItemT, Any, Any]) -> _StreamWriter[ItemT, Any, Any]:
    """A writer for ``types``, with ``yield_header`` / ``yield_footer`` when it has them."""
    has_header, has_footer = types.header_type is not None, types.footer_type is not None
    if has_header and has_footer:
        return StreamWriterFull(types)
    if has_header:
        return StreamWriterWithHeader(types)
    if has_footer:
        return StreamWriterWithFooter(types)
    return _StreamWriter(types)
