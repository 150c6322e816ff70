"""The dependency client against real HTTP servers on loopback (uvicorn in a thread)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest
import uvicorn
from chains_runtime.client import (
    Backoff,
    DependencyClient,
    DependencyTimeoutError,
    DependencyUnavailableError,
    IncompleteStreamError,
    RemoteChainletError,
    parse_retry_after,
)
from chains_runtime.context import DeployedServiceDescriptor
from chains_runtime.definitions import RPCOptions
from chains_runtime.protocol import (
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

T = TypeVar("T")
FAST = Backoff(base_sec=0.01, max_sec=0.05)
ATTEMPTS: Counter[tuple[str, str]] = Counter()
"""(scenario, request id) -> attempts the server saw."""


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
    if scenario == "e502chained":  # a chainlet passing on its dependency's error
        return _envelope(502)
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
    return _stream(scenario)


def _stream(scenario: str) -> Response:
    async def frames() -> AsyncIterator[bytes]:
        for i in range(3):
            yield encode_data_frame({"i": i})
            if scenario == "stream_error" and i == 1:
                yield encode_error_frame(_detail(500, type_="RuntimeError", message="midway"))
                return
        if scenario == "stream_ok":
            yield END_FRAME

    if scenario not in ("stream_ok", "stream_error", "stream_cut"):
        return PlainTextResponse("no such scenario", status_code=404)
    return StreamingResponse(frames(), media_type="application/x-ndjson")


APP = Starlette(routes=[Route("/{scenario}/run_remote", _run_remote, methods=["POST"])])


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    config = uvicorn.Config(
        APP,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "test server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=5)


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
    assert time.monotonic() - start < 2
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
    assert time.monotonic() - start < 1.5
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
    with pytest.raises(ProtocolError, match="expected a stream frame"):
        parse_frame(b'{"item": 1}')
