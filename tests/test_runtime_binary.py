"""Binary (MessagePack) calls: real servers on loopback, JSON and binary callers side by side.

Covers ``use_binary=True`` on ``depends`` and on ``StubBase``, ``NumpyArrayField`` in both wire
forms, ``bytes`` fields, binary streams and their framing bounds, content negotiation, bad
bodies, size limits, truss's ``msgpack_numpy`` form, and the OpenAPI document.
"""

from __future__ import annotations

import asyncio
import base64
import math
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Any

import chains_runtime as chains
import httpx
import msgpack
import msgpack_numpy
import numpy as np
import pydantic
import pytest
from chains_runtime import binary
from chains_runtime.client import DependencyClient
from chains_runtime.client.binary_frames import BinaryFrameReader
from chains_runtime.client.errors import DependencyResponseTooLargeError
from chains_runtime.protocol import (
    MSGPACK_CONTENT_TYPE,
    MSGPACK_STREAM_CONTENT_TYPE,
    UNKNOWN_FRAME_HINT,
    DataFrame,
    ErrorDetail,
    ErrorFrame,
    IncompleteStreamError,
    ProtocolError,
    RemoteChainletError,
    parse_frame,
)
from chains_runtime.pydantic_numpy import NumpyArrayField
from chains_runtime.server import ServerConfig

from tests.server_helpers import ThreadedServer, ThreadedUvicorn, serve_wired

TOKEN = "binary-test-token"
MSGPACK_HEADERS = {"content-type": MSGPACK_CONTENT_TYPE}
MSGPACK = MSGPACK_CONTENT_TYPE


class Frame(pydantic.BaseModel):
    pixels: NumpyArrayField
    label: str = "none"
    raw: bytes = b""


class Transform(chains.ChainletBase):
    async def run_remote(self, frame: Frame, scale: float = 2.0) -> Frame:
        return Frame(
            pixels=NumpyArrayField(frame.pixels.array * scale),
            label=frame.label.upper(),
            raw=frame.raw[::-1],
        )


class Bare(chains.ChainletBase):
    """A bare ``NumpyArrayField`` argument and result, outside any model."""

    async def run_remote(self, array: NumpyArrayField) -> NumpyArrayField:
        return NumpyArrayField(array.array.T)


class Blob(chains.ChainletBase):
    def run_remote(self, data: bytes, extra: Any = None) -> dict[str, Any]:
        return {"data": data + b"\xff", "length": len(data), "extra": extra}


class Count(chains.ChainletBase):
    async def run_remote(self, data: str) -> dict[str, int]:
        return {"length": len(data)}


class Chunks(chains.ChainletBase):
    async def run_remote(self, n: int, size: int = 4, fail_at: int = -1) -> AsyncIterator[Frame]:
        for i in range(n):
            if i == fail_at:
                raise RuntimeError("midway")
            yield Frame(pixels=NumpyArrayField(np.full(size, i, dtype=np.int32)), label=str(i))


class BinaryEntry(chains.ChainletBase):
    """Calls ``Blob`` and ``Chunks`` over binary hops."""

    def __init__(
        self,
        blob: Blob = chains.depends(Blob, use_binary=True),
        chunks: Chunks = chains.depends(Chunks, use_binary=True),
    ) -> None:
        self._blob = blob
        self._chunks = chunks

    async def run_remote(self, data: bytes, n: int) -> dict[str, Any]:
        # bytes that are not UTF-8, and a NaN: neither survives a JSON hop
        answer = await asyncio.to_thread(self._blob.run_remote, data, [math.nan])
        labels = [frame.label async for frame in self._chunks.run_remote(n)]
        return {"data": answer["data"], "nan": math.isnan(answer["extra"][0]), "labels": labels}


@pytest.fixture
def served() -> Iterator[Any]:
    servers: list[ThreadedUvicorn] = []

    def start(chainlet_cls: type[chains.ChainletBase], **config: Any) -> str:
        server = ThreadedServer(chainlet_cls, ServerConfig(**config))
        servers.append(server)
        return server.url

    yield start
    for server in servers:
        server.stop()


def _frame_json(array: np.ndarray[Any, Any]) -> dict[str, Any]:
    return {
        "data_b64": base64.b64encode(array.tobytes()).decode(),
        "shape": list(array.shape),
        "dtype": str(array.dtype),
    }


def test_json_form_is_truss_form() -> None:
    """The example of truss's own docstring, byte for byte."""

    class MyModel(pydantic.BaseModel):
        my_array: NumpyArrayField

    model = MyModel(my_array=np.arange(4).reshape((2, 2)) + 10)  # type: ignore[arg-type]
    expected = (
        '{"my_array":{"data_b64":"CgAAAAAAAAALAAAAAAAAAAwAAAAAAAAADQAAAAAAAAA=",'
        '"shape":[2,2],"dtype":"int64"}}'
    )
    assert model.model_dump_json() == expected
    again = MyModel.model_validate_json(expected).my_array.array
    assert again.dtype == np.int64 and again.tolist() == [[10, 11], [12, 13]]
    assert isinstance(model.model_dump()["my_array"], np.ndarray)


def test_json_and_binary_callers_against_the_same_chainlet(served: Any) -> None:
    url = served(Transform)
    pixels = np.arange(12, dtype=np.float32).reshape(3, 4)
    with httpx.Client(base_url=url, timeout=30) as client:
        as_json = client.post(
            "/run_remote", json={"frame": {"pixels": _frame_json(pixels), "label": "a"}}
        )
        assert as_json.status_code == 200, as_json.text
        assert as_json.headers["content-type"] == "application/json"
        answer = Frame.model_validate_json(as_json.content)
        np.testing.assert_array_equal(answer.pixels.array, pixels * 2)
        assert answer.label == "A"

        frame = Frame(pixels=NumpyArrayField(pixels), label="b", raw=b"\x00\x01")
        body = binary.pack({"frame": frame})
        as_binary = client.post("/run_remote", content=body, headers=MSGPACK_HEADERS)
        assert as_binary.status_code == 200, as_binary.text
        assert as_binary.headers["content-type"] == MSGPACK_CONTENT_TYPE
        decoded = binary.unpack(as_binary.content)
        assert decoded["pixels"][b"data"] == (pixels * 2).tobytes()  # raw bytes, no base64
        frame = Frame.model_validate(decoded)
        np.testing.assert_array_equal(frame.pixels.array, pixels * 2)
        assert (frame.label, frame.raw) == ("B", b"\x01\x00")


@pytest.mark.parametrize(
    "array",
    [
        np.arange(24, dtype=np.float32).reshape(2, 3, 4),
        np.arange(6, dtype=">i4").reshape(3, 2),  # big-endian
        np.arange(20, dtype=np.int16).reshape(4, 5)[:, ::2],  # not contiguous
        np.array(3.5),  # zero dimensions
        np.zeros((0, 3), dtype=np.uint8),
        np.array([True, False]),
        np.array([1 + 2j], dtype=np.complex64),
        np.array(["ab", "c"]),
        np.array(["2024-01-02"], dtype="datetime64[D]"),
    ],
    ids=["f32-3d", "big-endian", "strided", "0-d", "empty", "bool", "complex", "unicode", "date"],
)
@pytest.mark.parametrize("use_binary", [True, False], ids=["binary", "json"])
def test_numpy_round_trip_keeps_dtype_shape_and_values(
    served: Any, array: np.ndarray[Any, Any], use_binary: bool
) -> None:
    url = served(Bare)

    async def call() -> Any:
        async with DependencyClient("Bare", url, use_binary=use_binary) as client:
            return await client.call({"array": NumpyArrayField(array)})

    result = NumpyArrayField.validate_numpy_array(asyncio.run(call())).array
    assert result.dtype == array.dtype and result.shape == array.T.shape
    np.testing.assert_array_equal(result, array.T)


def test_bytes_travel_as_bytes_and_nan_as_nan_in_binary(served: Any) -> None:
    url = served(Blob)
    data = bytes(range(256))

    async def call() -> Any:
        async with DependencyClient("Blob", url, use_binary=True) as client:
            return await client.call({"data": data, "extra": {"nan": math.nan, "big": 2**63}})

    result = asyncio.run(call())
    assert result["data"] == data + b"\xff" and result["length"] == 256
    assert math.isnan(result["extra"]["nan"]) and result["extra"]["big"] == 2**63


def test_binary_stream_items_end_and_error_frames(served: Any) -> None:
    url = served(Chunks)

    async def collect(**arguments: Any) -> list[Frame]:
        async with DependencyClient("Chunks", url, use_binary=True) as client:
            return [Frame.model_validate(item) async for item in client.stream(arguments)]

    frames = asyncio.run(collect(n=3, size=5))
    assert [frame.label for frame in frames] == ["0", "1", "2"]
    assert frames[2].pixels.array.tolist() == [2] * 5
    with pytest.raises(RemoteChainletError, match="midway") as failed:
        asyncio.run(collect(n=3, fail_at=1))
    assert failed.value.type == "RuntimeError" and failed.value.chainlet == "Chunks"

    with httpx.Client(base_url=url, timeout=30) as client:  # the frames on the wire
        headers = {**MSGPACK_HEADERS, "accept": MSGPACK_STREAM_CONTENT_TYPE}
        raw = client.post("/run_remote", content=binary.pack({"n": 1}), headers=headers)
    assert raw.headers["content-type"] == MSGPACK_STREAM_CONTENT_TYPE
    first = int.from_bytes(raw.content[:4], "big")
    assert binary.unpack(raw.content[4 : 4 + first])["data"]["label"] == "0"
    assert raw.content[4 + first :] == binary.END_FRAME
    assert binary.unpack(binary.END_FRAME[4:]) == {"end": True}


def test_binary_stream_frame_over_the_limit_fails_at_its_prefix(served: Any) -> None:
    url = served(Chunks)

    async def collect() -> list[Any]:
        async with DependencyClient("Chunks", url, use_binary=True, max_frame_bytes=1000) as c:
            return [item async for item in c.stream({"n": 2, "size": 100_000})]

    with pytest.raises(DependencyResponseTooLargeError, match="max_frame_bytes"):
        asyncio.run(collect())


def test_binary_frame_reader_splits_anywhere_and_bounds_frames() -> None:
    body = binary.encode_data_frame({"x": b"\x00" * 300}) + binary.END_FRAME
    for piece in (1, 3, 7, len(body)):
        reader = BinaryFrameReader("Dep", "http://dep", 10_000)
        frames = [f for i in range(0, len(body), piece) for f in reader.feed(body[i : i + piece])]
        assert [type(f).__name__ for f in frames] == ["DataFrame", "EndFrame"]
    reader = BinaryFrameReader("Dep", "http://dep", 100)
    with pytest.raises(DependencyResponseTooLargeError):
        list(reader.feed((2**31).to_bytes(4, "big")))  # refused before any of it arrives
    reader = BinaryFrameReader("Dep", "http://dep", 100)
    with pytest.raises(ProtocolError, match="not a valid MessagePack"):
        list(reader.feed(b"\x00\x00\x00\x01\xc1"))
    with pytest.raises(ProtocolError, match="expected a frame") as caught:
        list(BinaryFrameReader("Dep", "http://dep", 100).feed(b"\x00\x00\x00\x01\x01"))
    assert str(caught.value).endswith(UNKNOWN_FRAME_HINT)  # an unknown frame is never skipped
    # A bytes item is bin in a data frame, a memoryview that is not contiguous too.
    frame = binary.encode_data_frame(memoryview(b"a-\x00-\xff-")[::2])
    reader = BinaryFrameReader("Dep", "http://dep", 100)
    assert list(reader.feed(frame)) == [DataFrame(data=b"a\x00\xff")]


def test_binary_frame_reader_reads_error_frames_as_the_ndjson_reader_does() -> None:
    detail = ErrorDetail(type="ValueError", message="bad", chainlet="Dep", status=500)
    reader = BinaryFrameReader("Dep", "http://dep", 1000)
    frames = list(reader.feed(binary.encode_error_frame(detail)))
    assert frames == [parse_frame(ErrorFrame(error=detail).model_dump_json())]
    malformed = msgpack.packb({"error": {"type": "ValueError"}})
    with pytest.raises(ProtocolError, match="a malformed error frame"):
        list(BinaryFrameReader("Dep", "http://dep", 1000).feed(_prefixed(malformed)))
    with pytest.raises(ProtocolError, match="malformed error frame"):
        parse_frame(b'{"error": {"type": "ValueError"}}')
    two_keys = msgpack.packb({"data": 1, "end": True})
    with pytest.raises(ProtocolError, match="expected a frame"):
        list(BinaryFrameReader("Dep", "http://dep", 1000).feed(_prefixed(two_keys)))


def _prefixed(payload: bytes) -> bytes:
    return len(payload).to_bytes(binary.FRAME_PREFIX_BYTES, "big") + payload


async def _cut_stream(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await receive()
    headers = [(b"content-type", MSGPACK_STREAM_CONTENT_TYPE.encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    frame = binary.encode_data_frame(1)
    await send({"type": "http.response.body", "body": frame + frame[:3], "more_body": False})


def test_binary_stream_cut_inside_a_frame_is_incomplete() -> None:
    server = ThreadedUvicorn(_cut_stream)
    try:

        async def collect() -> list[Any]:
            async with DependencyClient("Cut", server.url, use_binary=True) as client:
                return [item async for item in client.stream({})]

        with pytest.raises(IncompleteStreamError, match="after 1 items"):
            asyncio.run(collect())
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\xc1", "not a valid MessagePack value"),
        (b"\x92\x01", "incomplete input"),
        (msgpack.packb({"data": b"x"}) + b"\x00", "extra data"),
        (msgpack.packb([1, 2]), "valid dictionary"),
        (msgpack.packb({"data": 5}), "data"),
        (b"\x91" * 100_000, "not a valid MessagePack value"),
        (b"\xdd" + (10**6).to_bytes(4, "big") + b"\x80" * 10**6, "map or array per 2 bytes"),
    ],
    ids=["reserved-byte", "truncated", "trailing", "not-a-map", "wrong-type", "too-deep", "dense"],
)
def test_bad_msgpack_body_is_a_clear_422(served: Any, body: bytes, reason: str) -> None:
    url = served(Blob)
    response = httpx.post(f"{url}/run_remote", content=body, headers=MSGPACK_HEADERS, timeout=30)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"  # envelopes stay JSON
    error = response.json()["error"]
    assert error["type"] == "ValidationError" and reason in error["message"]


def test_size_limit_and_content_types(served: Any) -> None:
    url = served(Blob, max_body_bytes=1000)
    with httpx.Client(base_url=url, timeout=30) as client:
        body = binary.pack({"data": b"x" * 2000})
        big = client.post("/run_remote", content=body, headers=MSGPACK_HEADERS)
        assert big.status_code == 413 and big.json()["error"]["type"] == "PayloadTooLarge"
        other = client.post("/run_remote", content=b"{}", headers={"content-type": "text/plain"})
        assert other.status_code == 415
        assert MSGPACK_CONTENT_TYPE in other.json()["error"]["message"]
        truss_type = {"content-type": "application/octet-stream"}  # what truss's stubs send
        ok = client.post("/run_remote", content=binary.pack({"data": b"ab"}), headers=truss_type)
        assert ok.status_code == 200 and binary.unpack(ok.content)["data"] == b"ab\xff"


@pytest.mark.parametrize(
    ("content_type", "accept", "answers"),
    [
        ("application/json", None, "application/json"),
        ("application/json", MSGPACK_CONTENT_TYPE, MSGPACK_CONTENT_TYPE),
        ("application/json", "*/*", "application/json"),
        (MSGPACK_CONTENT_TYPE, None, MSGPACK_CONTENT_TYPE),
        (MSGPACK_CONTENT_TYPE, "*/*", MSGPACK_CONTENT_TYPE),
        (MSGPACK_CONTENT_TYPE, "application/json", "application/json"),
        ("application/json", "application/json;q=0.5, application/x-msgpack", MSGPACK),
        (MSGPACK, "application/x-msgpack;q=0.1, application/json", "application/json"),
        ("application/json", "application/x-msgpack;q=0", "application/json"),
    ],
)
def test_answer_format_follows_accept_then_the_request(
    served: Any, content_type: str, accept: str | None, answers: str
) -> None:
    url = served(Count)
    arguments = {"data": "abc"}
    body = binary.pack(arguments) if "msgpack" in content_type else None
    headers = {"content-type": content_type, **({"accept": accept} if accept else {})}
    with httpx.Client(base_url=url, timeout=30) as client:
        if body is None:
            response = client.post("/run_remote", json=arguments, headers=headers)
        else:
            response = client.post("/run_remote", content=body, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == answers
    decoded = binary.unpack(response.content) if "msgpack" in answers else response.json()
    assert decoded["length"] == 3


def test_truss_style_caller_with_msgpack_numpy(served: Any) -> None:
    """What truss's binary stubs do: msgpack_numpy maps, ``application/octet-stream``."""
    url = served(Transform)
    pixels = np.linspace(0, 1, 10, dtype=np.float64).reshape(2, 5)
    inputs = {"frame": {"pixels": pixels, "label": "t"}}
    body = msgpack.packb(inputs, default=msgpack_numpy.encode)
    response = httpx.post(
        f"{url}/run_remote",
        content=body,
        headers={"content-type": "application/octet-stream"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    answer = msgpack.unpackb(response.content, object_hook=msgpack_numpy.decode)
    np.testing.assert_array_equal(answer["pixels"], pixels * 2)
    assert answer["label"] == "T"


def test_binary_hops_in_a_chain() -> None:
    blob = serve_wired(Blob, token=TOKEN)
    chunks = serve_wired(Chunks, token=TOKEN)
    entry = serve_wired(
        BinaryEntry,
        {"Blob": blob.url, "Chunks": chunks.url},
        token=TOKEN,
        is_entrypoint=True,
    )
    try:
        data = b"\xff\xfe\x00"
        response = httpx.post(
            f"{entry.url}/run_remote",
            content=binary.pack({"data": data, "n": 3}),
            headers=MSGPACK_HEADERS,
            timeout=30,
        )
        assert response.status_code == 200, response.text
        assert binary.unpack(response.content) == {
            "data": data + b"\xff",
            "nan": True,
            "labels": ["0", "1", "2"],
        }
    finally:
        for server in (entry, blob, chunks):
            server.stop()


class Echoed(pydantic.BaseModel):
    data: bytes
    length: int
    extra: Any = None


class BlobStub(chains.StubBase):
    async def run_remote(self, data: bytes) -> Echoed:
        return await self.predict_async({"data": data}, output_model=Echoed)

    def run_sync(self, data: bytes) -> Any:
        return self.predict_sync({"data": data})


def test_stub_base_with_use_binary(served: Any) -> None:
    url = served(Blob) + "/run_remote"
    stub = BlobStub.from_url(url, options=chains.RPCOptions(use_binary=True))
    try:
        answer = asyncio.run(stub.run_remote(b"\x80\x81"))
        assert answer == Echoed(data=b"\x80\x81\xff", length=2)
        assert stub.run_sync(b"z") == {"data": b"z\xff", "length": 1, "extra": None}
    finally:
        stub.close_sync()


class Unexpected(pydantic.BaseModel):
    missing: int


def test_stub_base_with_use_binary_refuses_an_answer_its_model_does_not_fit(served: Any) -> None:
    url = served(Blob) + "/run_remote"
    stub = BlobStub.from_url(url, options=chains.RPCOptions(use_binary=True))
    call = stub.predict_async({"data": b"x"}, output_model=Unexpected)
    with pytest.raises(ProtocolError, match="is not a valid Unexpected: 1 validation error"):
        asyncio.run(call)


def test_openapi_describes_both_content_types(served: Any) -> None:
    url = served(Transform)
    document = httpx.get(f"{url}/openapi.json", timeout=30).json()
    operation = document["paths"]["/run_remote"]["post"]
    assert set(operation["requestBody"]["content"]) == {"application/json", MSGPACK_CONTENT_TYPE}
    assert set(operation["responses"]["200"]["content"]) == {
        "application/json",
        MSGPACK_CONTENT_TYPE,
    }
    schemas = document["components"]["schemas"]
    pixels = schemas["Frame"]["properties"]["pixels"]
    assert pixels["required"] == ["data_b64", "shape", "dtype"]


class _TrussLikeEndpoint:
    """Answers like a truss server in binary mode, and keeps the request's content type."""

    def __init__(self) -> None:
        self.content_types: list[bytes] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.content_types.append(dict(scope["headers"]).get(b"content-type", b""))
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        inputs = msgpack.unpackb(body, object_hook=msgpack_numpy.decode)
        answer = msgpack.packb({"sum": float(inputs["x"].sum())}, default=msgpack_numpy.encode)
        headers = [(b"content-type", b"application/octet-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


class Summed(pydantic.BaseModel):
    sum: float


class SumStub(chains.StubBase):
    async def run_remote(self, x: NumpyArrayField) -> Summed:
        return await self.predict_async({"x": x}, output_model=Summed)


def test_stub_base_speaks_truss_binary_form() -> None:
    endpoint = _TrussLikeEndpoint()
    server = ThreadedUvicorn(endpoint)
    try:
        stub = SumStub.from_url(f"{server.url}/predict", options=chains.RPCOptions(use_binary=True))
        answer = asyncio.run(stub.run_remote(NumpyArrayField(np.arange(5, dtype=np.float32))))
        assert answer == Summed(sum=10.0)
        assert endpoint.content_types == [b"application/octet-stream"]
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("content_type", "accept", "answers"),
    [
        ("application/json", MSGPACK_STREAM_CONTENT_TYPE, MSGPACK_STREAM_CONTENT_TYPE),
        (MSGPACK, "application/x-ndjson", "application/x-ndjson"),
        (MSGPACK, None, MSGPACK_STREAM_CONTENT_TYPE),
        ("application/json", None, "application/x-ndjson"),
    ],
)
def test_stream_format_follows_accept_then_the_request(
    served: Any, content_type: str, accept: str | None, answers: str
) -> None:
    url = served(Chunks)
    body = binary.pack({"n": 2}) if content_type == MSGPACK else b'{"n": 2}'
    headers = {"content-type": content_type, **({"accept": accept} if accept else {})}
    response = httpx.post(f"{url}/run_remote", content=body, headers=headers, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"] == answers
    if answers == MSGPACK_STREAM_CONTENT_TYPE:
        reader = BinaryFrameReader("Chunks", url, 10_000)
        kinds = [type(frame).__name__ for frame in reader.feed(response.content)]
    else:
        kinds = [line.split(":")[0] for line in response.text.splitlines()]
        kinds = [{'{"data"': "DataFrame", '{"end"': "EndFrame"}[kind] for kind in kinds]
    assert kinds == ["DataFrame", "DataFrame", "EndFrame"]


def _python(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_numpy_is_imported_only_when_the_field_is_used() -> None:
    result = _python(
        "import sys\n"
        "import chains_runtime, chains_runtime.stubs, chains_runtime.server\n"
        "from chains_runtime.pydantic_numpy import NumpyArrayField\n"
        "assert 'numpy' not in sys.modules, 'numpy imported'\n"
    )
    assert result.returncode == 0, result.stderr


def test_without_numpy_the_field_says_what_to_install() -> None:
    result = _python(
        "import sys\n"
        "sys.modules['numpy'] = None  # as if not installed\n"
        "import pydantic\n"
        "from chains_runtime.pydantic_numpy import NumpyArrayField\n"
        "class M(pydantic.BaseModel):\n"
        "    a: NumpyArrayField\n"
        "try:\n"
        "    M.model_validate({'a': {'data_b64': '', 'shape': [0], 'dtype': 'f4'}})\n"
        "except Exception as exc:\n"
        "    print(type(exc).__name__, exc)\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ChainsUsageError NumpyArrayField needs numpy")
    assert "pip_requirements" in result.stdout


def test_pack_after_a_failure_and_for_large_values() -> None:
    with pytest.raises(binary.BinaryEncodeError, match="object"):
        binary.pack({"x": np.array([object()])}, "the arguments")
    assert binary.unpack(binary.pack({"x": 1})) == {"x": 1}
    big = np.zeros(5_000_000, dtype=np.float32)  # 20 MB: over what a thread keeps warm
    assert len(binary.pack(big)) > 20_000_000
    assert binary.unpack(binary.pack([1, b"2", "3"])) == [1, b"2", "3"]
    pairs = [(i % 100, i % 7) for i in range(100_000)]  # three bytes each: not too dense
    assert binary.unpack(binary.pack(pairs))[-1] == [pairs[-1][0], pairs[-1][1]]
