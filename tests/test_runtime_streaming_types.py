"""``truss_chains.streaming`` (chains_runtime.streaming): typed header / items / footer in a
``bytes`` stream, in truss's byte format (checked against a real truss), across chunk
boundaries, and between two real chainlet servers under ``chains-run``."""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pydantic
import pytest
from chains_runtime import import_alias, streaming

from tests.build_helpers import write
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


@pytest.mark.parametrize(
    ("binary", "size"),
    [
        (False, 10),  # JSON: a bytes item must be UTF-8, so each part stays under 128 bytes
        (True, 100_000),  # MessagePack carries bytes as they are
    ],
)
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
