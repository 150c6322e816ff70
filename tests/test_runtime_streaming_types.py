"""``truss_chains.streaming`` (chains_runtime.streaming): typed header / items / footer in a
``bytes`` stream, in truss's byte format (checked against a real truss), across chunk
boundaries, and between two real chainlet servers under ``chains-run``; ``bytes`` fields of any
size and content between real servers, over JSON and binary calls."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import importlib
import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import chains_runtime as chains
import httpx
import pydantic
import pydantic.alias_generators
import pytest
from chains_runtime import import_alias, streaming

from tests.build_helpers import write
from tests.server_helpers import serve_wired
from tests.test_truss_agreement import VENV_DIR, _install_truss

CHAINS_RUN = Path(sys.executable).parent / "chains-run"


class Header(pydantic.BaseModel):
    title: str


class Item(pydantic.BaseModel):
    index: int
    text: str


class Footer(pydantic.BaseModel):
    count: int


FULL = streaming.stream_types(Item, header_type=Header, footer_type=Footer)
ITEMS = [Item(index=i, text="é" * i * 70) for i in range(4)]  # parts over 256 bytes too


def _written(types: streaming.StreamTypes[Item, Any, Any]) -> list[bytes]:
    writer = streaming.stream_writer(types)
    parts: list[bytes] = []
    if types.header_type is not None:
        parts.append(writer.yield_header(Header(title="t")))
    parts += [writer.yield_item(item) for item in ITEMS]
    if types.footer_type is not None:
        parts.append(writer.yield_footer(Footer(count=len(ITEMS))))
    return parts


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _read_all(
    types: streaming.StreamTypes[Item, Any, Any], data: bytes, size: int
) -> tuple[object, list[Item], object]:
    async def read() -> tuple[object, list[Item], object]:
        reader = streaming.stream_reader(types, _chunks(data, size))
        header = await reader.read_header() if types.header_type else None
        items = [item async for item in reader.read_items()]
        footer = await reader.read_footer() if types.footer_type else None
        return header, items, footer

    return asyncio.run(read())


COMBINATIONS: dict[str, streaming.StreamTypes[Item, Any, Any]] = {
    "items": streaming.stream_types(Item),
    "header": streaming.stream_types(Item, header_type=Header),
    "footer": streaming.stream_types(Item, footer_type=Footer),
    "full": FULL,
}


@pytest.mark.parametrize("name", sorted(COMBINATIONS))
@pytest.mark.parametrize("chunk_size", [1, 3, 5, 7, 64, 10_000])
def test_what_is_written_is_read_back_whatever_the_chunks(name: str, chunk_size: int) -> None:
    types = COMBINATIONS[name]
    data = b"".join(_written(types))
    header, items, footer = _read_all(types, data, chunk_size)
    assert items == ITEMS
    assert header == (Header(title="t") if types.header_type else None)
    assert footer == (Footer(count=4) if types.footer_type else None)


def test_a_stream_without_items_has_its_footer() -> None:
    writer = streaming.stream_writer(FULL)
    data = writer.yield_header(Header(title="t")) + writer.yield_footer(Footer(count=0))
    header, items, footer = _read_all(FULL, data, 2)
    assert (header, items, footer) == (Header(title="t"), [], Footer(count=0))


def test_the_writer_keeps_the_order_header_items_footer() -> None:
    writer = streaming.stream_writer(FULL)
    writer.yield_item(ITEMS[0])
    with pytest.raises(ValueError, match="header must be yielded first"):
        writer.yield_header(Header(title="late"))
    writer.yield_footer(Footer(count=1))
    with pytest.raises(ValueError, match="after the footer"):
        writer.yield_item(ITEMS[1])
    with pytest.raises(ValueError, match="only once"):
        writer.yield_footer(Footer(count=1))


def test_bad_streams_are_clear_errors() -> None:
    writer = streaming.stream_writer(FULL)
    with_header = writer.yield_header(Header(title="t")) + writer.yield_item(ITEMS[1])
    with pytest.raises(ValueError, match="call `read_header\\(\\)` before"):
        _read_all(streaming.stream_types(Item), with_header, 4)
    cut = streaming.stream_writer(streaming.stream_types(Item)).yield_item(ITEMS[2])[:-3]
    with pytest.raises(asyncio.IncompleteReadError):
        _read_all(streaming.stream_types(Item), cut, 4)
    with pytest.raises(asyncio.IncompleteReadError):
        _read_all(streaming.stream_types(Item), b"\x03\x00", 4)
    with pytest.raises(ValueError, match="unknown kind 9"):
        _read_all(streaming.stream_types(Item), b"\x09\x00\x00\x00\x00", 4)
    with pytest.raises(ValueError, match="has no header"):
        _read_all(FULL, streaming.stream_writer(FULL).yield_item(ITEMS[0]), 4)
    with pytest.raises(TypeError, match="pydantic model class"):
        streaming.stream_types(Item, header_type=dict)  # type: ignore[type-var]


def test_truss_chains_streaming_is_this_module() -> None:
    import_alias.install()
    module = importlib.import_module("truss_chains.streaming")
    assert module.stream_writer is streaming.stream_writer
    assert module.StreamReaderFull is streaming.StreamReaderFull


# -- against a real truss ---------------------------------------------------------------------

TRUSS_SCRIPT = """
import asyncio, base64, json, sys
import pydantic
from truss_chains import streaming

class Header(pydantic.BaseModel):
    title: str

class Item(pydantic.BaseModel):
    index: int
    text: str

class Footer(pydantic.BaseModel):
    count: int

TYPES = streaming.stream_types(Item, header_type=Header, footer_type=Footer)
ours = base64.b64decode(sys.stdin.read())

async def chunks():
    for start in range(0, len(ours), 3):
        yield ours[start:start + 3]

async def read():
    reader = streaming.stream_reader(TYPES, chunks())
    header = await reader.read_header()
    items = [item.model_dump() async for item in reader.read_items()]
    footer = await reader.read_footer()
    return {"header": header.model_dump(), "items": items, "footer": footer.model_dump()}

writer = streaming.stream_writer(TYPES)
theirs = bytes(writer.yield_header(Header(title="t")))
for i in range(4):
    theirs += bytes(writer.yield_item(Item(index=i, text="\\u00e9" * i * 70)))
theirs += bytes(writer.yield_footer(Footer(count=4)))
print(json.dumps({"read": asyncio.run(read()), "written": base64.b64encode(theirs).decode()}))
"""


def test_truss_reads_what_we_write_and_writes_the_same_bytes() -> None:
    python = _install_truss(VENV_DIR)
    ours = b"".join(_written(FULL))
    done = subprocess.run(
        [str(python), "-c", TRUSS_SCRIPT],
        input=base64.b64encode(ours).decode(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    assert answer["read"] == {
        "header": {"title": "t"},
        "items": [item.model_dump() for item in ITEMS],
        "footer": {"count": 4},
    }
    assert base64.b64decode(answer["written"]) == ours


class AliasHeader(pydantic.BaseModel):
    """Writes its aliases through its own ``model_dump_json``, which truss calls."""

    name: str = pydantic.Field(alias="Name")

    def model_dump_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("by_alias", True)
        return super().model_dump_json(**kwargs)


class AliasItem(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)

    index: int = pydantic.Field(serialization_alias="Index")
    text: str = pydantic.Field(alias="Text")


class AliasFooter(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(alias_generator=pydantic.alias_generators.to_camel)

    item_count: int


ALIASED = streaming.stream_types(AliasItem, header_type=AliasHeader, footer_type=AliasFooter)

TRUSS_ALIAS_SCRIPT = """
import base64, json, sys
import pydantic, pydantic.alias_generators
from truss_chains import streaming

class AliasHeader(pydantic.BaseModel):
    name: str = pydantic.Field(alias="Name")

    def model_dump_json(self, **kwargs):
        kwargs.setdefault("by_alias", True)
        return super().model_dump_json(**kwargs)

class AliasItem(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)
    index: int = pydantic.Field(serialization_alias="Index")
    text: str = pydantic.Field(alias="Text")

class AliasFooter(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(alias_generator=pydantic.alias_generators.to_camel)
    item_count: int

TYPES = streaming.stream_types(AliasItem, header_type=AliasHeader, footer_type=AliasFooter)
writer = streaming.stream_writer(TYPES)
parts = [writer.yield_header(AliasHeader(Name="h"))]
parts += [writer.yield_item(AliasItem(index=i, Text="t" * i)) for i in range(3)]
parts.append(writer.yield_footer(AliasFooter(itemCount=3)))
print(json.dumps([base64.b64encode(bytes(part)).decode() for part in parts]))
"""


def test_models_with_aliases_are_written_as_truss_writes_them() -> None:
    """The payload is ``model_dump_json()``'s, as in truss: by field name unless the model's
    own ``model_dump_json`` says otherwise, whatever pydantic-core's serializer defaults are."""
    python = _install_truss(VENV_DIR)
    writer = streaming.stream_writer(ALIASED)
    ours = [writer.yield_header(AliasHeader(Name="h"))]
    ours += [writer.yield_item(AliasItem(index=i, Text="t" * i)) for i in range(3)]
    ours.append(writer.yield_footer(AliasFooter.model_validate({"itemCount": 3})))
    assert ours[0][5:] == b'{"Name":"h"}'
    assert ours[2][5:] == b'{"index":1,"text":"t"}'
    assert ours[-1][5:] == b'{"item_count":3}'
    done = subprocess.run(
        [str(python), "-c", TRUSS_ALIAS_SCRIPT],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    theirs = [base64.b64decode(part) for part in json.loads(done.stdout.strip().splitlines()[-1])]
    assert theirs == ours


# -- served ---------------------------------------------------------------------------------

SERVED_CHAIN = textwrap.dedent(
    """
    from collections.abc import AsyncIterator

    import pydantic
    import truss_chains as chains
    from truss_chains import streaming


    class Header(pydantic.BaseModel):
        n: int


    class Item(pydantic.BaseModel):
        i: int
        text: str


    class Footer(pydantic.BaseModel):
        total: int


    TYPES = streaming.stream_types(Item, header_type=Header, footer_type=Footer)


    class Producer(chains.ChainletBase):
        async def run_remote(self, n: int, size: int) -> AsyncIterator[bytes]:
            writer = streaming.stream_writer(TYPES)
            yield writer.yield_header(Header(n=n))
            for i in range(n):
                yield writer.yield_item(Item(i=i, text="x" * size))
            yield writer.yield_footer(Footer(total=n))


    @chains.mark_entrypoint
    class Consumer(chains.ChainletBase):
        def __init__(
            self, producer: Producer = chains.depends(Producer, use_binary=BINARY)
        ) -> None:
            self._producer = producer

        async def run_remote(self, n: int, size: int) -> dict[str, object]:
            reader = streaming.stream_reader(TYPES, self._producer.run_remote(n, size))
            header = await reader.read_header()
            items = [item.i async for item in reader.read_items()]
            footer = await reader.read_footer()
            return {"header": header.n, "items": items, "footer": footer.total}
    """
)


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("size", [10, 100_000])
def test_a_typed_stream_between_two_served_chainlets(
    binary: bool, size: int, tmp_path: Path
) -> None:
    chain = write(tmp_path, "chain.py", SERVED_CHAIN.replace("BINARY", str(binary)))
    done = subprocess.run(
        [str(CHAINS_RUN), str(chain), "--input", json.dumps({"n": 5, "size": size})],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"header": 5, "items": [0, 1, 2, 3, 4], "footer": 5}


# -- bytes fields, served by real servers and read by a calling chainlet ------------------------

TOKEN = "streaming-types-test-token"
SIZES = [0, 3, 127, 128, 300, 70_000]  # _raw_blob(3) is b"\xff\x00\x80"


class BlobHeader(pydantic.BaseModel):
    tag: bytes


class BlobItem(pydantic.BaseModel):
    index: int
    data: bytes


class BlobFooter(pydantic.BaseModel):
    tag: bytes


class RawBlobItem(pydantic.BaseModel):
    """Bytes that are not UTF-8 text need pydantic's base64 JSON form, in truss too."""

    model_config = pydantic.ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")

    index: int
    data: bytes


BLOBS = streaming.stream_types(BlobItem, header_type=BlobHeader, footer_type=BlobFooter)
RAW_BLOBS = streaming.stream_types(RawBlobItem, header_type=BlobHeader, footer_type=BlobFooter)
HEADER_TAG = b"header:" + b"h" * 200  # a header part of 128 bytes or more
FOOTER_TAG = b"footer:" + b"f" * 121


def _text_blob(size: int) -> bytes:
    return bytes(32 + i % 95 for i in range(size))  # printable ASCII


def _raw_blob(size: int) -> bytes:
    return (b"\xff\x00\x80" + bytes(range(256)) * (size // 256 + 1))[:size]


def _blobs(raw: bool, sizes: list[int]) -> list[bytes]:
    return [(_raw_blob if raw else _text_blob)(size) for size in sizes]


class BlobProducer(chains.ChainletBase):
    async def run_remote(self, raw: bool, sizes: list[int]) -> AsyncIterator[bytes]:
        types: streaming.StreamTypes[Any, BlobHeader, BlobFooter] = RAW_BLOBS if raw else BLOBS
        writer = streaming.stream_writer(types)
        yield writer.yield_header(BlobHeader(tag=HEADER_TAG))
        for index, data in enumerate(_blobs(raw, sizes)):
            yield writer.yield_item(types.item_type(index=index, data=data))
        yield writer.yield_footer(BlobFooter(tag=FOOTER_TAG))


async def _read_blobs(raw: bool, stream: AsyncIterator[bytes]) -> dict[str, Any]:
    types: streaming.StreamTypes[Any, BlobHeader, BlobFooter] = RAW_BLOBS if raw else BLOBS
    reader = streaming.stream_reader(types, stream)
    header = await reader.read_header()
    items = [(item.index, item.data) async for item in reader.read_items()]
    footer = await reader.read_footer()
    return {
        "header": header.tag == HEADER_TAG,
        "indexes": [index for index, _ in items],
        "sizes": [len(data) for _, data in items],
        "digests": [hashlib.sha256(data).hexdigest() for _, data in items],
        "footer": footer.tag == FOOTER_TAG,
    }


class JsonBlobConsumer(chains.ChainletBase):
    def __init__(self, producer: BlobProducer = chains.depends(BlobProducer)) -> None:
        self._producer = producer

    async def run_remote(self, raw: bool, sizes: list[int]) -> dict[str, Any]:
        return await _read_blobs(raw, self._producer.run_remote(raw, sizes))


class BinaryBlobConsumer(chains.ChainletBase):
    def __init__(
        self, producer: BlobProducer = chains.depends(BlobProducer, use_binary=True)
    ) -> None:
        self._producer = producer

    async def run_remote(self, raw: bool, sizes: list[int]) -> dict[str, Any]:
        return await _read_blobs(raw, self._producer.run_remote(raw, sizes))


def _expected_blobs(raw: bool, sizes: list[int]) -> dict[str, Any]:
    blobs = _blobs(raw, sizes)
    return {
        "header": True,
        "indexes": list(range(len(sizes))),
        "sizes": [len(blob) for blob in blobs],
        "digests": [hashlib.sha256(blob).hexdigest() for blob in blobs],
        "footer": True,
    }


@pytest.fixture(scope="module")
def blob_consumers() -> Iterator[dict[str, str]]:
    """The URLs of a JSON and a binary consumer, each calling one served ``BlobProducer``."""
    producer = serve_wired(BlobProducer, token=TOKEN)
    wired = {"BlobProducer": producer.url}
    consumers = {
        "json": serve_wired(JsonBlobConsumer, wired, token=TOKEN, is_entrypoint=True),
        "binary": serve_wired(BinaryBlobConsumer, wired, token=TOKEN, is_entrypoint=True),
    }
    try:
        yield {name: server.url for name, server in consumers.items()}
    finally:
        for server in (*consumers.values(), producer):
            server.stop()


@pytest.mark.parametrize("transport", ["json", "binary"])
@pytest.mark.parametrize("raw", [False, True], ids=["text-bytes", "non-utf8-bytes"])
def test_bytes_fields_of_any_size_through_served_chainlets(
    blob_consumers: dict[str, str], transport: str, raw: bool
) -> None:
    arguments = {"raw": raw, "sizes": SIZES}
    response = httpx.post(f"{blob_consumers[transport]}/run_remote", json=arguments, timeout=60)
    assert response.status_code == 200, response.text
    assert response.json() == _expected_blobs(raw, SIZES)


def test_bytes_fields_of_any_size_in_process() -> None:
    with chains.run_local():
        consumer = JsonBlobConsumer()
        for raw in (False, True):
            answer = asyncio.run(consumer.run_remote(raw=raw, sizes=SIZES))
            assert answer == _expected_blobs(raw, SIZES)


def test_a_bytes_field_that_is_not_text_names_the_base64_setting() -> None:
    writer = streaming.stream_writer(BLOBS)
    with pytest.raises(ValueError, match=r"item \(BlobItem\).*invalid utf-8") as caught:
        writer.yield_item(BlobItem(index=0, data=b"\xff\x00\x80"))
    assert 'ser_json_bytes="base64", val_json_bytes="base64"' in str(caught.value)
    with pytest.raises(ValueError, match=r"header \(BlobHeader\)"):
        streaming.stream_writer(BLOBS).yield_header(BlobHeader(tag=b"\x80"))


BYTES_ENTRYPOINT = textwrap.dedent(
    """
    from collections.abc import AsyncIterator

    import truss_chains as chains


    @chains.mark_entrypoint
    class Bytes(chains.ChainletBase):
        async def run_remote(self, tail: bool) -> AsyncIterator[bytes]:
            yield b"caf\\xc3\\xa9"
            yield b""
            yield memoryview(b"hello")  # what truss's stream writer returns
            yield bytearray(b"hi")
            yield memoryview(b"o-k-")[::2]  # not contiguous
            if tail:
                yield b"\\xff\\x00\\x80"
    """
)
UNPRINTABLE = (
    "chains-run: error: `Bytes` streamed 3 bytes that are not UTF-8 text (at index 0, byte "
    "0xff: invalid start byte), which chains-run cannot print as a JSON string"
)


@pytest.mark.parametrize("in_process", [False, True], ids=["served", "in-process"])
def test_chains_run_prints_a_bytes_stream_as_text_either_way(
    in_process: bool, tmp_path: Path
) -> None:
    chain = write(tmp_path, "chain.py", BYTES_ENTRYPOINT)
    command = [str(CHAINS_RUN), str(chain), *(["--in-process"] if in_process else [])]
    done = subprocess.run(
        [*command, "--input", '{"tail": false}'],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout == '"café"\n""\n"hello"\n"hi"\n"ok"\n'.encode()
    not_text = subprocess.run(
        [*command, "--input", '{"tail": true}'],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert not_text.returncode == 1
    assert not_text.stdout == done.stdout
    # The same one line either way, last, with no traceback: chains-run cannot print the item,
    # the chain did nothing wrong. Before it, served, only the progress lines.
    *before, last = not_text.stderr.decode().splitlines()
    assert last == UNPRINTABLE, not_text.stderr.decode()
    progress = (
        [] if in_process else ["chains-run: starting 1 chainlet: Bytes", "chains-run: ready in "]
    )
    assert len(before) == len(progress), before
    assert all(line.startswith(start) for line, start in zip(before, progress, strict=True))


TRUSS_BYTES_SCRIPT = """
import asyncio, base64, json, sys
import pydantic
from truss_chains import streaming

class BlobHeader(pydantic.BaseModel):
    tag: bytes

class BlobItem(pydantic.BaseModel):
    index: int
    data: bytes

class RawBlobItem(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")
    index: int
    data: bytes

class BlobFooter(pydantic.BaseModel):
    tag: bytes

given = json.loads(sys.stdin.read())
answer = {}
for name, item_type in (("text", BlobItem), ("raw", RawBlobItem)):
    types = streaming.stream_types(item_type, header_type=BlobHeader, footer_type=BlobFooter)
    ours = base64.b64decode(given[name]["stream"])
    blobs = [base64.b64decode(blob) for blob in given[name]["blobs"]]

    async def chunks():
        yield ours

    async def read():
        reader = streaming.stream_reader(types, chunks())
        header = await reader.read_header()
        items = [(item.index, item.data) async for item in reader.read_items()]
        footer = await reader.read_footer()
        equal = [data == blob for (_, data), blob in zip(items, blobs)]
        return [header.tag.decode(), [i for i, _ in items], equal, footer.tag.decode()]

    writer = streaming.stream_writer(types)
    theirs = bytes(writer.yield_header(BlobHeader(tag=given["header"].encode())))
    for index, blob in enumerate(blobs):
        theirs += bytes(writer.yield_item(item_type(index=index, data=blob)))
    theirs += bytes(writer.yield_footer(BlobFooter(tag=given["footer"].encode())))
    answer[name] = {"read": asyncio.run(read()), "written": base64.b64encode(theirs).decode()}
print(json.dumps(answer))
"""


def test_truss_reads_and_writes_bytes_fields_as_we_do() -> None:
    python = _install_truss(VENV_DIR)
    given: dict[str, Any] = {"header": HEADER_TAG.decode(), "footer": FOOTER_TAG.decode()}
    ours: dict[str, bytes] = {}
    for name, raw in (("text", False), ("raw", True)):
        types: streaming.StreamTypes[Any, BlobHeader, BlobFooter] = RAW_BLOBS if raw else BLOBS
        writer = streaming.stream_writer(types)
        blobs = _blobs(raw, SIZES)
        ours[name] = writer.yield_header(BlobHeader(tag=HEADER_TAG))
        ours[name] += b"".join(
            writer.yield_item(types.item_type(index=i, data=blob)) for i, blob in enumerate(blobs)
        )
        ours[name] += writer.yield_footer(BlobFooter(tag=FOOTER_TAG))
        given[name] = {
            "stream": base64.b64encode(ours[name]).decode(),
            "blobs": [base64.b64encode(blob).decode() for blob in blobs],
        }
    done = subprocess.run(
        [str(python), "-c", TRUSS_BYTES_SCRIPT],
        input=json.dumps(given),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    for name in ("text", "raw"):
        header, indexes, equal, footer = answer[name]["read"]
        assert (header, footer) == (HEADER_TAG.decode(), FOOTER_TAG.decode())
        assert indexes == list(range(len(SIZES))) and all(equal)
        assert base64.b64decode(answer[name]["written"]) == ours[name]
