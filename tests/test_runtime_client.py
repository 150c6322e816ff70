"""The dependency client against real HTTP servers on loopback (uvicorn in a thread)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import subprocess
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from chains_runtime.client import (
    Backoff,
    DeadlineExceededError,
    DependencyClient,
    DependencyTimeoutError,
    DependencyUnavailableError,
    IncompleteStreamError,
    RemoteChainletError,
    parse_retry_after,
)
from chains_runtime.client.connection import ConnectFailedError
from chains_runtime.client.pool import ConnectionPool
from chains_runtime.context import DEADLINE, DeployedServiceDescriptor
from chains_runtime.definitions import RPCOptions
from chains_runtime.errors import ChainsUsageError
from chains_runtime.protocol import (
    DEADLINE_HEADER,
    END_FRAME,
    REQUEST_ID_HEADER,
    SERVICE_TOKEN_HEADER,
    DataFrame,
    EndFrame,
    ErrorDetail,
    ProtocolError,
    encode_data_frame,
    encode_error_envelope,
    encode_error_frame,
    parse_frame,
)
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.server_helpers import ThreadedUvicorn

T = TypeVar("T")
FAST = Backoff(base_sec=0.01, max_sec=0.05)
ATTEMPTS: Counter[tuple[str, str]] = Counter()
"""(scenario, request id) -> attempts the server saw."""
IN_FLIGHT: Counter[str] = Counter()
"""Calls of the ``slowish`` scenario running now, and the most at once."""


def _detail(status: int, type_: str = "ValueError", message: str = "boom") -> ErrorDetail:
    return ErrorDetail(
        type=type_,
        message=message,
        chainlet="Callee",
        traceback="Traceback (most recent call last):\n  ...\nValueError: boom\n",
        status=status,
    )


def _envelope(status: int, **kwargs: str) -> Response:
    return Response(
        encode_error_envelope(_detail(status, **kwargs)),
        status_code=status,
        media_type="application/json",
    )


async def _run_remote(request: Request) -> Response:
    scenario = request.path_params["scenario"]
    attempt_key = (scenario, request.headers.get(REQUEST_ID_HEADER, ""))
    ATTEMPTS[attempt_key] += 1
    attempt = ATTEMPTS[attempt_key]
    args: dict[str, Any] = await request.json()
    if scenario == "ok":
        return JSONResponse(
            {
                "args": args,
                "request_id": request.headers.get(REQUEST_ID_HEADER),
                "token": request.headers.get(SERVICE_TOKEN_HEADER),
            }
        )
    if scenario == "e422":
        return _envelope(422, type_="ValidationError", message="field 'x' is required")
    if scenario == "e500":
        return _envelope(500)
    if scenario == "e502chained":  # a chainlet that could not reach its dependency
        return _envelope(502, type_="DependencyUnavailableError")
    if scenario == "e504deadline":  # a chainlet whose deadline ran out
        return _envelope(504, type_="DeadlineExceeded")
    if scenario == "e504proxy":  # a gateway in front of a chainlet that timed out
        if attempt == 1:
            return PlainTextResponse("Gateway Timeout", status_code=504)
        return JSONResponse({"attempt": attempt})
    if scenario == "budget":  # the deadline budget the call carried
        return JSONResponse(request.headers.get(DEADLINE_HEADER))
    if scenario == "slow503":
        return PlainTextResponse("overloaded", status_code=503, headers={"retry-after": "2"})
    if scenario == "e502proxy":  # a gateway in front of a chainlet that is starting
        if attempt == 1:
            return PlainTextResponse("Bad Gateway", status_code=502)
        return JSONResponse({"attempt": attempt})
    if scenario == "flaky503":
        if attempt == 1:
            return PlainTextResponse("busy", status_code=503, headers={"retry-after": "0"})
        return JSONResponse({"attempt": attempt})
    if scenario == "always503":
        return PlainTextResponse("overloaded", status_code=503, headers={"retry-after": "0"})
    if scenario == "e500plain":
        return PlainTextResponse("Internal Server Error", status_code=500)
    if scenario == "slow":
        await asyncio.sleep(2.0)
        return JSONResponse("late")
    if scenario == "whoami":  # which client connection carried the call
        client = request.client
        return JSONResponse(client.port if client else None)
    if scenario == "slowish":
        IN_FLIGHT["now"] += 1
        IN_FLIGHT["max"] = max(IN_FLIGHT["max"], IN_FLIGHT["now"])
        try:
            await asyncio.sleep(0.05)
        finally:
            IN_FLIGHT["now"] -= 1
        client = request.client
        return JSONResponse(client.port if client else None)
    if scenario == "big":
        return JSONResponse({"received": len(args["blob"]), "blob": "y" * 3_000_000})
    return _stream(scenario)


_LONG_STREAMS = {"stream_big", "stream_paced", "stream_stall"}


def _stream(scenario: str) -> Response:
    async def frames() -> AsyncIterator[bytes]:
        if scenario == "stream_big":  # ~4 MB of frames, to outpace a slow reader
            for i in range(2000):
                yield encode_data_frame({"i": i, "pad": "z" * 2000})
            yield END_FRAME
            return
        if scenario == "stream_paced":  # a steady producer: a frame every 0.1 s
            for i in range(4):
                yield encode_data_frame({"i": i})
                await asyncio.sleep(0.1)
            yield END_FRAME
            return
        if scenario == "stream_stall":
            yield encode_data_frame({"i": 0})
            await asyncio.sleep(2.0)
            yield END_FRAME
            return
        for i in range(3):
            yield encode_data_frame({"i": i})
            if scenario == "stream_error" and i == 1:
                yield encode_error_frame(_detail(500, type_="RuntimeError", message="midway"))
                return
        if scenario == "stream_ok":
            yield END_FRAME

    if scenario not in {"stream_ok", "stream_error", "stream_cut"} | _LONG_STREAMS:
        return PlainTextResponse("no such scenario", status_code=404)
    return StreamingResponse(frames(), media_type="application/x-ndjson")


APP = Starlette(routes=[Route("/{scenario}/run_remote", _run_remote, methods=["POST"])])


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadedUvicorn(APP, lifespan="off", timeout_graceful_shutdown=1)
    try:
        yield server.url
    finally:
        server.stop()


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    async def main() -> T:
        return await factory()

    return asyncio.run(main())


def _client(base_url: str, scenario: str, **kwargs: Any) -> DependencyClient:
    kwargs.setdefault("backoff", FAST)
    return DependencyClient("Callee", f"{base_url}/{scenario}", **kwargs)


def _rid() -> str:
    return uuid.uuid4().hex


def test_success_sends_arguments_and_headers(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "ok", service_token="s3cret") as client:
            first = await client.call({"text": "hi", "n": 2}, request_id=rid)
            second = await client.call({"text": "again"}, request_id=rid)
            return first, second

    first, second = _run(go)
    assert first == {"args": {"text": "hi", "n": 2}, "request_id": rid, "token": "s3cret"}
    assert second["args"] == {"text": "again"}  # omitted arguments are not sent as null


def test_request_id_is_generated_when_not_given(base_url: str) -> None:
    async def go() -> Any:
        async with _client(base_url, "ok") as client:
            return await client.call({})

    result = _run(go)
    assert result["request_id"]
    assert result["token"] is None


def test_422_is_not_retried(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "e422", retries=3) as client:
            return await client.call({"x": None}, request_id=rid)

    with pytest.raises(RemoteChainletError) as info:
        _run(go)
    assert info.value.status == 422
    assert info.value.type == "ValidationError"
    assert ATTEMPTS[("e422", rid)] == 1


def test_500_envelope_becomes_remote_chainlet_error(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "e500", retries=2) as client:
            return await client.call({}, request_id=rid)

    with pytest.raises(RemoteChainletError) as info:
        _run(go)
    err = info.value
    assert (err.chainlet, err.type, err.message, err.status) == (
        "Callee",
        "ValueError",
        "boom",
        500,
    )
    assert err.traceback is not None and "ValueError: boom" in err.traceback
    text = str(err)
    assert text.startswith("chainlet 'Callee' failed with ValueError (HTTP 500): boom")
    assert "Remote traceback:" in text
    assert ATTEMPTS[("e500", rid)] == 1


def test_502_with_an_envelope_is_not_retried(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "e502chained", retries=3) as client:
            return await client.call({}, request_id=rid)

    with pytest.raises(RemoteChainletError) as info:
        _run(go)
    assert info.value.status == 502
    assert ATTEMPTS[("e502chained", rid)] == 1


def test_504_with_an_envelope_is_not_retried(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "e504deadline", retries=3) as client:
            return await client.call({}, request_id=rid)

    with pytest.raises(RemoteChainletError) as info:
        _run(go)
    assert (info.value.status, info.value.type) == (504, "DeadlineExceeded")
    assert ATTEMPTS[("e504deadline", rid)] == 1


def test_504_from_a_proxy_is_retried(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "e504proxy", retries=1) as client:
            return await client.call({}, request_id=rid)

    assert _run(go) == {"attempt": 2}
    assert ATTEMPTS[("e504proxy", rid)] == 2


def test_the_remaining_budget_is_sent_and_bounds_the_call(base_url: str) -> None:
    async def go() -> Any:
        async with _client(base_url, "budget") as client:
            assert await client.call({}) is None  # no deadline: no header
            DEADLINE.set(time.monotonic() + 5.0)
            return await client.call({})

    budget = int(_run(go))
    assert 0 < budget <= 5000


def test_a_spent_budget_raises_without_calling(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "ok", retries=3) as client:
            DEADLINE.set(time.monotonic() - 0.1)
            return await client.call({}, request_id=rid)

    with pytest.raises(DeadlineExceededError, match="deadline"):
        _run(go)
    assert ATTEMPTS[("ok", rid)] == 0


def test_the_deadline_ends_a_slow_call_as_deadline_exceeded(base_url: str) -> None:
    async def go() -> Any:
        async with _client(base_url, "slow", timeout_sec=30) as client:
            DEADLINE.set(time.monotonic() + 0.3)
            return await client.call({})

    with pytest.raises(DeadlineExceededError):
        _run(go)


def test_no_retry_once_the_budget_is_gone(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "slow503", retries=3) as client:
            DEADLINE.set(time.monotonic() + 1.0)  # retry-after 2 s would pass the deadline
            return await client.call({}, request_id=rid)

    with pytest.raises(DependencyUnavailableError, match="HTTP 503"):
        _run(go)
    assert ATTEMPTS[("slow503", rid)] == 1


def test_502_from_a_proxy_is_retried(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "e502proxy", retries=1) as client:
            return await client.call({}, request_id=rid)

    assert _run(go) == {"attempt": 2}
    assert ATTEMPTS[("e502proxy", rid)] == 2


def test_500_without_envelope_is_still_a_remote_error(base_url: str) -> None:
    async def go() -> Any:
        async with _client(base_url, "e500plain") as client:
            return await client.call({})

    with pytest.raises(RemoteChainletError, match="HTTP 500"):
        _run(go)


def test_503_then_success_is_retried(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "flaky503", retries=1) as client:
            return await client.call({}, request_id=rid)

    assert _run(go) == {"attempt": 2}
    assert ATTEMPTS[("flaky503", rid)] == 2


def test_retries_2_gives_exactly_3_attempts(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "always503", retries=2) as client:
            return await client.call({}, request_id=rid)

    with pytest.raises(DependencyUnavailableError) as info:
        _run(go)
    assert ATTEMPTS[("always503", rid)] == 3
    assert "'Callee'" in str(info.value) and "HTTP 503 after 3 attempt(s)" in str(info.value)


def test_connection_refused_retries_then_raises_quickly() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}"

    async def go() -> Any:
        async with DependencyClient("Callee", url, retries=2, backoff=FAST) as client:
            return await client.call({})

    start = time.monotonic()
    with pytest.raises(DependencyUnavailableError) as info:
        _run(go)
    assert time.monotonic() - start < 30  # a hang guard: the message below counts the attempts
    message = str(info.value)
    assert "'Callee'" in message and f"{url}/run_remote" in message
    assert "after 3 attempt(s)" in message


def test_slow_server_hits_the_per_call_timeout(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        async with _client(base_url, "slow", retries=2) as client:
            return await client.call({}, request_id=rid, timeout_sec=0.3)

    start = time.monotonic()
    with pytest.raises(DependencyTimeoutError, match="'Callee'"):
        _run(go)
    assert time.monotonic() - start < 30  # a hang guard: the timeout error is the check
    assert ATTEMPTS[("slow", rid)] == 1  # a timeout may have run: never retried


def _collect(base_url: str, scenario: str, items: list[Any]) -> None:
    async def go() -> None:
        async with _client(base_url, scenario) as client:
            async for item in client.stream({"n": 3}):
                items.append(item)

    _run(go)


def test_stream_with_end_frame(base_url: str) -> None:
    items: list[Any] = []
    _collect(base_url, "stream_ok", items)
    assert items == [{"i": 0}, {"i": 1}, {"i": 2}]


def test_stream_error_frame_midway_raises(base_url: str) -> None:
    items: list[Any] = []
    with pytest.raises(RemoteChainletError) as info:
        _collect(base_url, "stream_error", items)
    assert items == [{"i": 0}, {"i": 1}]
    assert (info.value.type, info.value.message) == ("RuntimeError", "midway")


def test_stream_without_end_frame_is_an_error(base_url: str) -> None:
    items: list[Any] = []
    with pytest.raises(IncompleteStreamError, match="without an end frame"):
        _collect(base_url, "stream_cut", items)
    assert items == [{"i": 0}, {"i": 1}, {"i": 2}]


def test_from_descriptor_uses_rpc_options() -> None:
    descriptor = DeployedServiceDescriptor(
        name="Callee",
        display_name="Callee",
        predict_url="http://example.invalid/run_remote",
        options=RPCOptions(retries=4, timeout_sec=7),
    )

    async def go() -> DependencyClient:
        client = DependencyClient.from_descriptor(descriptor)
        await client.aclose()
        return client

    client = _run(go)
    assert client.url == "http://example.invalid/run_remote"
    assert client.retries == 4


def test_backoff_and_retry_after() -> None:
    backoff = Backoff(base_sec=0.1, max_sec=0.3, max_retry_after_sec=2)
    assert all(0 <= backoff.delay(n) <= 0.3 for n in range(10))
    assert backoff.delay(0, "1.5") == 1.5
    assert backoff.delay(0, "60") == 2
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert parse_retry_after("soon") is None


def test_parse_frame() -> None:
    assert parse_frame(b'{"data": [1]}') == DataFrame(data=[1])
    assert isinstance(parse_frame(END_FRAME), EndFrame)
    with pytest.raises(ProtocolError, match="expected a stream frame") as caught:
        parse_frame(b'{"item": 1}')
    # Never skipped (it may hold an item); the message points at a newer producer.
    assert str(caught.value).endswith(
        "; the producer may run a newer chains runtime, with frames this one does not know: "
        "upgrade the caller's runtime (callers before producers)"
    )


@pytest.mark.parametrize(
    "item",
    [
        b"",
        b"\xff\x00\x80",
        bytes(range(256)) * 300,
        bytearray(b"\x80"),
        memoryview(b"ab"),
        memoryview(b"abcdef")[::2],  # not contiguous
    ],
)
def test_a_bytes_item_is_a_bytes_frame_read_back_as_bytes(item: bytes) -> None:
    frame = encode_data_frame(item)
    assert frame.startswith(b'{"bytes":"') and frame.endswith(b'"}\n')
    assert parse_frame(frame) == DataFrame(data=bytes(item))
    assert encode_data_frame("text") == b'{"data":"text"}\n'  # text stays a data frame


@pytest.mark.parametrize(
    "line",
    [b'{"bytes": 1}', b'{"bytes": null}', b'{"bytes": ["a"]}', '{"bytes": "\u0100"}'.encode()],
)
def test_a_malformed_bytes_frame_is_a_protocol_error(line: bytes) -> None:
    with pytest.raises(ProtocolError, match="malformed bytes frame"):
        parse_frame(line)


# -- the transport: keep-alive pool, limits, bodies, timeouts ------------------------------


def test_sequential_calls_reuse_one_kept_alive_connection(base_url: str) -> None:
    async def go() -> list[int]:
        async with _client(base_url, "whoami") as client:
            return [await client.call({}) for _ in range(20)]

    ports = _run(go)
    assert len(set(ports)) == 1


def test_concurrent_calls_each_get_their_own_answer(base_url: str) -> None:
    async def worker(client: DependencyClient, worker_id: int) -> list[bool]:
        checks = []
        for n in range(40):
            rid = f"w{worker_id}-{n}"
            result = await client.call({"w": worker_id, "n": n}, request_id=rid)
            checks.append(
                result["args"] == {"w": worker_id, "n": n} and result["request_id"] == rid
            )
        return checks

    async def go() -> list[bool]:
        async with _client(base_url, "ok", concurrency_limit=8) as client:
            results = await asyncio.gather(*(worker(client, w) for w in range(16)))
        return [ok for checks in results for ok in checks]

    checks = _run(go)
    assert len(checks) == 640 and all(checks)


def test_concurrency_limit_bounds_the_connections(base_url: str) -> None:
    IN_FLIGHT.clear()

    async def go() -> list[int]:
        async with _client(base_url, "slowish", concurrency_limit=2) as client:
            return list(await asyncio.gather(*(client.call({}) for _ in range(8))))

    ports = _run(go)
    assert IN_FLIGHT["max"] == 2
    assert len(set(ports)) == 2


async def _until_received(scenario: str, rid: str) -> None:
    deadline = time.monotonic() + 5
    while ATTEMPTS[(scenario, rid)] == 0:
        assert time.monotonic() < deadline, "the call did not reach the server"
        await asyncio.sleep(0.01)


def test_waiting_for_a_free_connection_respects_the_timeout(base_url: str) -> None:
    rid = _rid()

    async def go() -> None:
        async with _client(base_url, "slow", concurrency_limit=1) as client:
            busy = asyncio.ensure_future(client.call({}, request_id=rid))
            await _until_received("slow", rid)
            try:
                with pytest.raises(DependencyTimeoutError, match="stayed busy"):
                    await client.call({}, timeout_sec=0.2)
            finally:
                busy.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await busy

    _run(go)


def test_a_cancelled_call_frees_its_connection_slot(base_url: str) -> None:
    rid = _rid()

    async def go() -> Any:
        slow = _client(base_url, "slow", concurrency_limit=1)
        async with slow:
            task = asyncio.ensure_future(slow.call({}, request_id=rid))
            await _until_received("slow", rid)
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            start = time.monotonic()
            with pytest.raises(DependencyTimeoutError):
                await slow.call({}, timeout_sec=0.3)  # gets the slot, then times out on "slow"
            return time.monotonic() - start

    assert _run(go) < 1.5


def test_one_client_serves_successive_event_loops(base_url: str) -> None:
    client = _client(base_url, "ok")
    first = asyncio.run(client.call({"n": 1}))
    second = asyncio.run(client.call({"n": 2}))
    asyncio.run(client.aclose())
    assert (first["args"], second["args"]) == ({"n": 1}, {"n": 2})


def test_large_request_and_answer_bodies(base_url: str) -> None:
    async def go() -> Any:
        async with _client(base_url, "big") as client:
            return await client.call({"blob": "x" * 2_000_000})

    result = _run(go)
    assert result["received"] == 2_000_000
    assert result["blob"] == "y" * 3_000_000


def test_a_slow_reader_gets_a_big_stream_whole(base_url: str) -> None:
    async def go() -> list[int]:
        seen: list[int] = []
        async with _client(base_url, "stream_big") as client:
            async for item in client.stream({}):
                if not seen:
                    await asyncio.sleep(0.3)  # let the server fill our buffer
                seen.append(item["i"])
        return seen

    assert _run(go) == list(range(2000))


def test_a_stalled_stream_times_out(base_url: str) -> None:
    items: list[Any] = []

    async def go() -> None:
        async with _client(base_url, "stream_stall") as client:
            async for item in client.stream({}, timeout_sec=0.3):
                items.append(item)

    start = time.monotonic()
    with pytest.raises(DependencyTimeoutError, match=r"stalled .* after 1 items"):
        _run(go)
    assert time.monotonic() - start < 30  # a hang guard: the timeout error is the check
    assert items == [{"i": 0}]


def test_a_slow_consumer_is_not_a_stalled_stream(base_url: str) -> None:
    async def go() -> list[Any]:
        items: list[Any] = []
        async with _client(base_url, "stream_paced") as client:
            async for item in client.stream({}, timeout_sec=0.2):
                await asyncio.sleep(0.3)  # longer than the timeout, between two pieces
                items.append(item["i"])
        return items

    assert _run(go) == [0, 1, 2, 3]


def test_a_request_id_that_would_break_the_request_is_refused(base_url: str) -> None:
    async def go() -> Any:
        async with _client(base_url, "ok") as client:
            return await client.call({}, request_id="abc\r\nx-evil: 1")

    with pytest.raises(ChainsUsageError, match="x-request-id"):
        _run(go)


def test_a_closed_client_says_so(base_url: str) -> None:
    async def go() -> Any:
        client = _client(base_url, "ok")
        await client.call({})
        await client.aclose()
        return await client.call({})

    with pytest.raises(DependencyUnavailableError, match="client was closed"):
        _run(go)


# -- answers uvicorn never sends: a scripted server ----------------------------------------

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class ScriptedServer:
    """A TCP server on loopback, in its own thread, whose handler writes raw bytes."""

    def __init__(self, handler: Handler, ssl_context: ssl.SSLContext | None = None) -> None:
        self.connections = 0
        self.requests = 0
        self._handler = handler
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready, ssl_context), daemon=True)
        self._thread.start()
        assert ready.wait(10), "scripted server did not start"

    def _run(self, ready: threading.Event, ssl_context: ssl.SSLContext | None) -> None:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self._handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        async def start() -> asyncio.Server:
            return await asyncio.start_server(handle, "127.0.0.1", 0, ssl=ssl_context)

        self._server = self._loop.run_until_complete(start())
        self.port = self._server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()
        self._server.close()
        self._loop.run_until_complete(self._server.wait_closed())
        self._loop.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":", 1)[1])
        self.requests += 1
        return await reader.readexactly(length)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)


@pytest.fixture
def scripted() -> Iterator[Callable[..., ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(handler: Handler, ssl_context: ssl.SSLContext | None = None) -> ScriptedServer:
        server = ScriptedServer(handler, ssl_context)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def _call_scripted(server: ScriptedServer, **kwargs: Any) -> Any:
    async def go() -> Any:
        url = f"http://127.0.0.1:{server.port}"
        async with DependencyClient("Callee", url, backoff=FAST, **kwargs) as client:
            return await client.call({"x": 1})

    return _run(go)


def test_chunked_and_interim_answers(scripted: Callable[..., ScriptedServer]) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await server.read_request(reader)
            writer.write(b"HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
            writer.write(b'5\r\n{"a":\r\n')
            await writer.drain()
            writer.write(b"2\r\n1}\r\n0\r\n\r\n")
            await writer.drain()

    server = scripted(handler)
    assert _call_scripted(server) == {"a": 1}


def test_an_answer_ended_by_closing_the_connection(scripted: Callable[..., ScriptedServer]) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b'HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n{"done": true}')
        await writer.drain()

    server = scripted(handler)
    assert _call_scripted(server) == {"done": True}


def test_connection_close_is_respected(scripted: Callable[..., ScriptedServer]) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\n42")
        await writer.drain()

    server = scripted(handler)

    async def go() -> list[Any]:
        url = f"http://127.0.0.1:{server.port}"
        async with DependencyClient("Callee", url) as client:
            return [await client.call({}) for _ in range(3)]

    assert _run(go) == [42, 42, 42]
    assert server.connections == 3


def test_a_malformed_answer_is_a_transport_failure(
    scripted: Callable[..., ScriptedServer],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"SMTP ready\r\n\r\n")
        await writer.drain()

    server = scripted(handler)
    with pytest.raises(DependencyUnavailableError, match="malformed HTTP response"):
        _call_scripted(server, retries=2)
    assert server.requests == 1


def test_a_server_closing_before_it_answers_is_not_retried(
    scripted: Callable[..., ScriptedServer],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)  # the request arrived: it may have run

    server = scripted(handler)
    with pytest.raises(DependencyUnavailableError, match="closed the connection before"):
        _call_scripted(server, retries=2)
    assert server.requests == 1


def test_a_stream_cut_mid_body(scripted: Callable[..., ScriptedServer]) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        frame = encode_data_frame({"i": 0})
        writer.write(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        writer.write(b"%x\r\n%s\r\n" % (len(frame), frame))
        await writer.drain()

    server = scripted(handler)
    items: list[Any] = []

    async def go() -> None:
        url = f"http://127.0.0.1:{server.port}"
        async with DependencyClient("Callee", url) as client:
            async for item in client.stream({}):
                items.append(item)

    with pytest.raises(IncompleteStreamError, match="cut after 1 items"):
        _run(go)
    assert items == [{"i": 0}]


def test_https(scripted: Callable[..., ScriptedServer], tmp_path: Path) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert, key)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            body = await server.read_request(reader)
            answer = b'{"echo": %s}' % body
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s" % (len(answer), answer))
            await writer.drain()

    server = scripted(handler, server_context)
    client_context = ssl.create_default_context(cafile=str(cert))

    async def go() -> list[bytes]:
        pool = ConnectionPool(f"https://127.0.0.1:{server.port}/p", ssl_context=client_context)
        try:
            return [await (await pool.post(b'"hi"', timeout_sec=5)).read() for _ in range(2)]
        finally:
            await pool.aclose()

    assert _run(go) == [b'{"echo": "hi"}', b'{"echo": "hi"}']
    assert server.connections == 1

    async def untrusted() -> None:
        pool = ConnectionPool(f"https://127.0.0.1:{server.port}/p")
        try:
            await pool.post(b"{}", timeout_sec=5)
        finally:
            await pool.aclose()

    with pytest.raises(ConnectFailedError, match="CERTIFICATE_VERIFY_FAILED"):
        _run(untrusted)


def test_idle_connections_expire(scripted: Callable[..., ScriptedServer]) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await server.read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
            await writer.drain()

    server = scripted(handler)

    async def go() -> None:
        pool = ConnectionPool(f"http://127.0.0.1:{server.port}/", keepalive_expiry_sec=0.1)
        try:
            await (await pool.post(b"{}", timeout_sec=5)).read()
            await (await pool.post(b"{}", timeout_sec=5)).read()  # reused
            await asyncio.sleep(0.2)  # past the expiry: the idle connection is not reused
            await (await pool.post(b"{}", timeout_sec=5)).read()
        finally:
            await pool.aclose()

    _run(go)
    assert server.connections == 2


def test_bad_urls_are_refused() -> None:
    for url in ("ftp://host/x", "http:///x", "http://host:notaport/x"):
        with pytest.raises(ChainsUsageError, match="invalid URL"):
            DependencyClient("Callee", url)


def test_bytes_after_the_answer_keep_the_answer_but_not_the_connection(
    scripted: Callable[..., ScriptedServer],
) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await server.read_request(reader)
            answer = b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\n"
            writer.write(answer + b"1" + answer + b"2")  # an answer nobody asked for
            await writer.drain()

    server = scripted(handler)

    async def go() -> list[Any]:
        url = f"http://127.0.0.1:{server.port}"
        async with DependencyClient("Callee", url) as client:
            return [await client.call({}) for _ in range(2)]

    assert _run(go) == [1, 1]
    assert server.connections == 2
