"""Websocket chainlets: a real uvicorn on loopback (with the server's own HTTP protocol and
websocket settings) driven by the ``websockets`` client."""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import chains_runtime as chains
import httpx
import pytest
from chains_runtime.asset_types import WebsocketOptions
from chains_runtime.errors import ChainsUsageError
from chains_runtime.server import ServerConfig, create_app
from chains_runtime.server.http_protocol import limited_protocol
from chains_runtime.server.limits import ServerLimits
from chains_runtime.server.signature import RunRemoteSpec
from chains_runtime.server.websocket_options import connection_room_warning, websocket_options
from chains_runtime.websocket import refuse_websocket_dependency
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.server_helpers import ServedChainlets, ThreadedUvicorn

WAIT_SEC = 20.0  # generous: the suite runs on a loaded 2-core machine


class WsEcho(chains.ChainletBase):
    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        greeting = await websocket.receive_text()
        await websocket.send_text(f"hello {greeting}")
        payload = await websocket.receive_json()
        await websocket.send_json({"doubled": payload["n"] * 2})
        data = await websocket.receive()
        assert isinstance(data, bytes)
        await websocket.send_bytes(data[::-1])
        connected = websocket.is_connected()
        awaited = await websocket.is_connected()  # type: ignore[misc]
        await websocket.send_json({"sync": bool(connected), "awaited": awaited})
        async for text in await websocket.iter_text():
            await websocket.send_text(text.upper())


class WsBoom(chains.ChainletBase):
    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.receive_text()
        raise ValueError("boom")


class WsHold(chains.ChainletBase):
    """Holds the connection (and its slot) until the client sends "bye"."""

    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.send_text("ready")
        while await websocket.receive_text() != "bye":
            pass


CANCELLED = threading.Event()
STARTED = threading.Event()


class WsBusy(chains.ChainletBase):
    """Busy elsewhere (not receiving) when the client leaves: must be cancelled."""

    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.receive_text()
        STARTED.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            CANCELLED.set()
            raise


class WsClosesItself(chains.ChainletBase):
    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.close(code=4001, reason="done here")


class HttpOnly(chains.ChainletBase):
    async def run_remote(self, x: int) -> int:
        return x


@pytest.fixture
def serve() -> Iterator[Callable[..., str]]:
    servers: list[ThreadedUvicorn] = []

    def start(chainlet_cls: type[chains.ChainletBase], **config: Any) -> str:
        server_config = ServerConfig(**config)
        options = chainlet_cls.remote_config.options
        server = ThreadedUvicorn(
            create_app(chainlet_cls, config=server_config),
            http=limited_protocol(ServerLimits(), chainlet_cls.__name__),
            **websocket_options(server_config, options),
        )
        servers.append(server)
        _wait_ready(server.url)
        return server.url

    yield start
    for server in servers:
        server.stop()


def _wait_ready(url: str) -> None:
    deadline = time.monotonic() + WAIT_SEC
    while httpx.get(f"{url}/readyz", timeout=5).status_code != 200:
        assert time.monotonic() < deadline, "chainlet not ready"
        time.sleep(0.02)


def _ws(url: str, path: str = "/websocket", **kwargs: Any) -> ClientConnection:
    uri = url.replace("http://", "ws://") + path
    connection: ClientConnection = connect(uri, open_timeout=WAIT_SEC, close_timeout=5, **kwargs)
    return connection


def _refused(url: str, path: str = "/websocket", **kwargs: Any) -> tuple[int, dict[str, Any]]:
    with pytest.raises(InvalidStatus) as caught, _ws(url, path, **kwargs):
        pass
    response = caught.value.response
    return response.status_code, json.loads(response.body or b"{}")["error"]


def _wait_queued(url: str, count: int, what: str) -> None:
    """Wait until ``count`` handshakes wait in the gate's queue (from ``/metrics``)."""
    deadline = time.monotonic() + WAIT_SEC
    while (
        f'chains_queue_waiting{{chainlet="WsHold"}} {count}\n'
        not in httpx.get(f"{url}/metrics", timeout=5).text
    ):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _queued_client(url: str) -> tuple[threading.Thread, list[str]]:
    """A client on a thread: the first message it gets goes into the list, then it says "bye"."""
    answered: list[str] = []

    def talk() -> None:
        with _ws(url) as ws:
            answered.append(str(ws.recv(timeout=WAIT_SEC)))
            ws.send("bye")

    thread = threading.Thread(target=talk)
    thread.start()
    return thread, answered


def _closed(connection: ClientConnection) -> ConnectionClosed:
    with pytest.raises(ConnectionClosed) as caught:
        connection.recv(timeout=WAIT_SEC)
    return caught.value


def test_echo_text_json_bytes_and_normal_close(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(WsEcho)
    with _ws(url, additional_headers={"x-request-id": "ws-test-1"}) as ws:
        assert ws.response is not None
        assert ws.response.headers["x-request-id"] == "ws-test-1"
        ws.send("there")
        assert ws.recv(timeout=WAIT_SEC) == "hello there"
        ws.send(json.dumps({"n": 21}))
        assert json.loads(ws.recv(timeout=WAIT_SEC)) == {"doubled": 42}
        ws.send(b"\x01\x02\x03")
        assert ws.recv(timeout=WAIT_SEC) == b"\x03\x02\x01"
        assert json.loads(ws.recv(timeout=WAIT_SEC)) == {"sync": True, "awaited": True}
        ws.send("abc")
        assert ws.recv(timeout=WAIT_SEC) == "ABC"
    # The client closed: iter_text ended, run_remote returned; HTTP still answers.
    assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200


def test_run_remote_returning_closes_1000_and_own_close_code_kept(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(WsClosesItself)
    with _ws(url) as ws:
        closed = _closed(ws)
    assert closed.rcvd is not None
    assert (closed.rcvd.code, closed.rcvd.reason) == (4001, "done here")


def test_auth_checked_at_the_handshake(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(WsEcho, api_key="k3y", service_token="t0ken")
    status, error = _refused(url)
    assert (status, error["type"]) == (401, "Unauthorized")
    status, error = _refused(url, additional_headers={"x-api-key": "wrong"})
    assert status == 401
    assert "k3y" not in json.dumps(error)
    for headers in (
        {"Authorization": "Api-Key k3y"},
        {"x-api-key": "k3y"},
        {"x-chains-service-token": "t0ken"},
    ):
        with _ws(url, additional_headers=headers) as ws:
            ws.send("key")
            assert ws.recv(timeout=WAIT_SEC) == "hello key"


def test_wrong_path_origin_and_http_call_refused(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(WsEcho)
    status, error = _refused(url, "/run_remote")
    assert (status, error["type"]) == (404, "NotFound")
    assert "/websocket" in error["message"]
    status, error = _refused(url, origin="http://evil.example")
    assert (status, error["type"]) == (403, "OriginNotAllowed")
    host = url.removeprefix("http://")
    with _ws(url, origin=f"http://{host}") as ws:
        ws.send("same origin")
        assert ws.recv(timeout=WAIT_SEC) == "hello same origin"
    response = httpx.post(f"{url}/run_remote", json={}, timeout=5)
    assert response.status_code == 422
    assert "connect a websocket client to /websocket" in response.text


def test_http_chainlet_refuses_a_websocket_with_404(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(HttpOnly)
    status, error = _refused(url)
    assert (status, error["type"]) == (404, "NotFound")
    assert "POST /run_remote" in error["message"]
    assert httpx.post(f"{url}/run_remote", json={"x": 3}, timeout=5).json() == 3


def test_gate_full_refuses_503_and_queued_handshake_waits(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(WsHold, predict_concurrency=1, queue_size=0)
    with _ws(url) as holder:
        assert holder.recv(timeout=WAIT_SEC) == "ready"
        status, error = _refused(url)
        assert (status, error["type"]) == (503, "Overloaded")
        holder.send("bye")
    # The slot is free again once the first connection ended.
    deadline = time.monotonic() + WAIT_SEC
    while True:
        try:
            with _ws(url) as ws:
                assert ws.recv(timeout=WAIT_SEC) == "ready"
                ws.send("bye")
            break
        except InvalidStatus:
            assert time.monotonic() < deadline, "slot never freed"
            time.sleep(0.05)


def test_queued_handshake_is_answered_when_a_slot_frees(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(WsHold, predict_concurrency=1, queue_size=1)
    with _ws(url) as holder:
        assert holder.recv(timeout=WAIT_SEC) == "ready"
        waiter, answered = _queued_client(url)
        _wait_queued(url, 1, "the second handshake to queue")
        assert answered == []  # still queued: no handshake answer yet
        holder.send("bye")
        waiter.join(WAIT_SEC)
    assert answered == ["ready"]


def test_run_remote_raising_closes_1011_naming_the_error(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(WsBoom)
    with _ws(url) as ws:
        ws.send("go")
        closed = _closed(ws)
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1011
    assert closed.rcvd.reason == "ValueError: boom"


def test_message_larger_than_the_limit_closes_1009(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(WsHold, max_body_bytes=1024)
    with _ws(url) as ws:
        assert ws.recv(timeout=WAIT_SEC) == "ready"
        ws.send("x" * 2000)
        closed = _closed(ws)
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1009
    with _ws(url) as ws:  # the server goes on
        assert ws.recv(timeout=WAIT_SEC) == "ready"
        ws.send("x" * 1000)
        ws.send("bye")


def test_client_leaving_cancels_a_busy_run_remote_and_frees_the_slot(serve) -> None:  # type: ignore[no-untyped-def]
    CANCELLED.clear()
    STARTED.clear()
    url = serve(WsBusy, predict_concurrency=1, queue_size=0)
    with _ws(url) as ws:
        ws.send("start")
        assert STARTED.wait(WAIT_SEC)
    assert CANCELLED.wait(WAIT_SEC), "run_remote was not cancelled when the client left"
    deadline = time.monotonic() + WAIT_SEC
    while True:  # the slot is free: a new connection is accepted
        try:
            with _ws(url):
                break
        except InvalidStatus:
            assert time.monotonic() < deadline, "slot never freed"
            time.sleep(0.05)


def test_websocket_endpoint_shape_is_checked() -> None:
    class TwoParams(chains.ChainletBase):
        async def run_remote(self, websocket: chains.WebSocketProtocol, x: int) -> None: ...

    class Returns(chains.ChainletBase):
        async def run_remote(self, websocket: chains.WebSocketProtocol) -> str:
            return ""

    class Sync(chains.ChainletBase):
        def run_remote(self, websocket: chains.WebSocketProtocol) -> None: ...

    for cls, words in (
        (TwoParams, "only parameter"),
        (Returns, "must return `None`"),
        (Sync, "async def"),
    ):
        with pytest.raises(ChainsUsageError, match=words):
            RunRemoteSpec.from_chainlet(cls)
    assert RunRemoteSpec.from_chainlet(WsEcho).websocket == "websocket"
    assert RunRemoteSpec.from_chainlet(HttpOnly).websocket is None



def test_truss_websocket_options_set_the_pings() -> None:
    transport = WebsocketOptions(ping_interval_seconds=5, ping_timeout_seconds=7)
    options = chains.ChainletOptions(transport=transport)
    settings = websocket_options(ServerConfig(), options)
    assert (settings["ws_ping_interval"], settings["ws_ping_timeout"]) == (5.0, 7.0)
    defaults = websocket_options(ServerConfig(), chains.ChainletOptions())
    assert (defaults["ws_ping_interval"], defaults["ws_ping_timeout"]) == (20.0, 20.0)

def test_a_websocket_shape_error_points_at_the_def() -> None:
    class TwoParams(chains.ChainletBase):
        async def run_remote(self, websocket: chains.WebSocketProtocol, x: int) -> None: ...

    line = TwoParams.run_remote.__code__.co_firstlineno
    with pytest.raises(ChainsUsageError) as caught:
        RunRemoteSpec.from_chainlet(TwoParams)
    assert str(caught.value).startswith(f"{__file__}:{line}: `TwoParams.run_remote` takes")

    class Entry(chains.ChainletBase):
        def __init__(self, socket: WsEcho = chains.depends(WsEcho)) -> None: ...

    with pytest.raises(ChainsUsageError) as caught:
        refuse_websocket_dependency(Entry, WsEcho)
    line = inspect.unwrap(Entry.__init__).__code__.co_firstlineno  # the chainlet wraps it
    assert str(caught.value).startswith(f"{__file__}:{line}: `Entry` depends on `WsEcho`")

def test_served_process_echoes_over_websocket_and_http_stays(tmp_path) -> None:  # type: ignore[no-untyped-def]
    servers = ServedChainlets()
    try:
        served = servers.start(
            "tests/test_runtime_websocket.py:WsEcho",
            {"chainlet": "WsEcho", "is_entrypoint": True, "api_key": "k"},
        )
        status, error = _refused(served.url)
        assert (status, error["type"]) == (401, "Unauthorized")
        with _ws(served.url, additional_headers={"x-api-key": "k"}) as ws:
            ws.send("process")
            assert ws.recv(timeout=WAIT_SEC) == "hello process"
        served.wait_for_line(r"status=101 .*stream=websocket:")
        assert httpx.get(f"{served.url}/healthz", timeout=5).status_code == 200
    finally:
        servers.stop_all()


def test_server_shutdown_closes_1012_and_cancels_run_remote() -> None:
    CANCELLED.clear()
    STARTED.clear()
    server_config = ServerConfig()
    server = ThreadedUvicorn(
        create_app(WsBusy, config=server_config),
        http=limited_protocol(ServerLimits(), "WsBusy"),
        **websocket_options(server_config, WsBusy.remote_config.options),
    )
    try:
        _wait_ready(server.url)
        with _ws(server.url) as ws:
            ws.send("start")
            assert STARTED.wait(WAIT_SEC)
            server.stop()
            closed = _closed(ws)
        assert closed.rcvd is not None and closed.rcvd.code == 1012
        assert CANCELLED.wait(WAIT_SEC)
    finally:
        server.stop()


def test_run_remote_timeout_closes_1011_deadline_exceeded(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(WsHold, run_remote_timeout_sec=0.5)
    with _ws(url) as ws:
        assert ws.recv(timeout=WAIT_SEC) == "ready"
        closed = _closed(ws)  # never sends "bye": the time limit ends the session
    assert closed.rcvd is not None
    assert closed.rcvd.code == 1011
    assert closed.rcvd.reason.startswith("DeadlineExceeded: run_remote ran past 0.5 s")


def test_a_client_leaving_while_queued_gives_up_its_place(serve) -> None:  # type: ignore[no-untyped-def]
    url = serve(WsHold, predict_concurrency=1, queue_size=1)
    with _ws(url) as holder:
        assert holder.recv(timeout=WAIT_SEC) == "ready"
        uri = url.replace("http://", "ws://") + "/websocket"
        # Queued, unanswered: it gives up.
        with pytest.raises(TimeoutError), connect(uri, open_timeout=0.5):
            pass
        _wait_queued(url, 0, "the queued handshake to give up its place")
        # The third is queued in the place the second left (not refused 503).
        waiter, answered = _queued_client(url)
        _wait_queued(url, 1, "the third handshake to queue")
        holder.send("bye")
        waiter.join(WAIT_SEC)
    assert answered == ["ready"]


def test_serve_refuses_a_misshapen_websocket_run_remote_before_listening(tmp_path) -> None:  # type: ignore[no-untyped-def]
    chain = tmp_path / "chain.py"
    chain.write_text(
        "import truss_chains as chains\n\n\n"
        "class Bad(chains.ChainletBase):\n"
        "    async def run_remote(self, websocket: chains.WebSocketProtocol, x: int) -> None:\n"
        "        pass\n",
        encoding="utf-8",
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}
    environ["CHAINS_CONFIG"] = json.dumps({"chainlet": "Bad", "is_entrypoint": True})
    result = subprocess.run(
        [sys.executable, "-m", "chains_runtime.serve", f"{chain}:Bad", "--port", "0"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "takes the websocket `websocket` and other parameters" in result.stderr
    assert "Traceback" not in result.stderr


def test_too_few_connections_for_the_websockets_is_a_start_up_warning() -> None:
    servers = ServedChainlets()
    try:
        served = servers.start(
            "tests/test_runtime_websocket.py:WsEcho",
            {"chainlet": "WsEcho", "is_entrypoint": True},
            env={"CHAINS_MAX_CONNECTIONS": "40"},
        )
        served.wait_for_line(
            r"warning: --max-connections 40 leaves room for 0 connection\(s\) besides the 65 "
            r"websockets .* give at least 81"
        )
    finally:
        servers.stop_all()


def test_the_default_limits_leave_room_besides_the_websockets() -> None:
    config = ServerConfig()
    assert connection_room_warning(config, ServerLimits()) is None
    assert connection_room_warning(config, ServerLimits(max_connections=81)) is None
    warning = connection_room_warning(config, ServerLimits(max_connections=80))
    assert warning is not None and "leaves room for 15 connection(s)" in warning
