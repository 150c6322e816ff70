"""The dependency client against servers that misbehave on purpose.

Most servers here are raw asyncio servers on loopback, in their own thread and event loop,
writing exact bytes (``RawServer``); they count the connections they accept and the requests
they read, so a test can tell a retry from a reused connection. Where uvicorn itself is the
point (its keep-alive timeout), it is used. Every test runs its client on asyncio's event loop
and again on uvloop's, which chainlets are served on.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import chains_runtime as chains
import pytest
import uvloop
from chains_runtime.client import (
    Backoff,
    DependencyClient,
    DependencyHTTPError,
    DependencyTimeoutError,
    DependencyUnavailableError,
)
from chains_runtime.client.connection import MAX_HEAD_BYTES
from chains_runtime.client.pool import ConnectionPool
from chains_runtime.errors import ChainsUsageError
from chains_runtime.protocol import encode_data_frame
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.server_helpers import ThreadedUvicorn

T = TypeVar("T")
FAST = Backoff(base_sec=0.01, max_sec=0.02)
WAIT_SEC = 5.0
"""The longest any condition is waited for before a test fails."""


@dataclass
class RawRequest:
    request_line: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Peer:
    """One accepted connection, as the handler sees it."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    server: RawServer

    async def read_request(self) -> RawRequest:
        head = await self.reader.readuntil(b"\r\n\r\n")
        request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        request = RawRequest(request_line, headers, body)
        self.server.record(request)
        return request

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()


Handler = Callable[[Peer], Awaitable[None]]


class RawServer:
    """A TCP server on loopback in its own thread; ``handler`` runs once per connection."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1") -> None:
        self.accepted = 0
        self.open = 0
        self.most_open = 0
        self.closed = 0
        self.requests: list[RawRequest] = []
        self._handler = handler
        self._changed = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self._start_error: OSError | None = None
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(host, started), daemon=True)
        self._thread.start()
        assert started.wait(WAIT_SEC), "raw server did not start"
        if self._start_error is not None:
            raise self._start_error
        address = f"[{host}]" if ":" in host else host
        self.url = f"http://{address}:{self.port}"

    def record(self, request: RawRequest) -> None:
        with self._changed:
            self.requests.append(request)
            self._changed.notify_all()

    def wait_for(self, condition: Callable[[], bool], what: str) -> None:
        """Block until ``condition()`` holds (the caller's event loop is blocked too)."""
        with self._changed:
            assert self._changed.wait_for(condition, WAIT_SEC), f"timed out waiting for {what}"

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        """Wait, without blocking the caller's event loop, until ``condition()`` holds."""
        await asyncio.to_thread(self.wait_for, condition, what)

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # its loop is closed: it never started
            self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT_SEC)

    def _run(self, host: str, started: threading.Event) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            server = self._loop.run_until_complete(asyncio.start_server(self._serve, host, 0))
        except OSError as exc:  # e.g. no IPv6 loopback
            self._start_error = exc
            self._loop.close()
            started.set()
            return
        self.port = server.sockets[0].getsockname()[1]
        started.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            for task in self._tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*self._tasks, return_exceptions=True))
            self._loop.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(cast("asyncio.Task[None]", task))
        self._count(accepted=1, open=1)
        try:
            await self._handler(Peer(reader, writer, self))
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # the server is stopping (asyncio would log the cancel)
            pass
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()
            self._count(open=-1, closed=1)
            self._tasks.discard(cast("asyncio.Task[None]", task))

    def _count(self, accepted: int = 0, open: int = 0, closed: int = 0) -> None:
        with self._changed:
            self.accepted += accepted
            self.open += open
            self.most_open = max(self.most_open, self.open)
            self.closed += closed
            self._changed.notify_all()


@pytest.fixture
def raw() -> Iterator[Callable[..., RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler, host: str = "127.0.0.1") -> RawServer:
        server = RawServer(handler, host)
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


_CLIENT_LOOP: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {}


@pytest.fixture(autouse=True, params=["asyncio", "uvloop"])
def client_loop(request: pytest.FixtureRequest) -> Iterator[None]:
    """The event loop the client runs on in this test (see ``_run``)."""
    _CLIENT_LOOP["new"] = (
        uvloop.new_event_loop if request.param == "uvloop" else asyncio.new_event_loop
    )
    try:
        yield
    finally:
        _CLIENT_LOOP.clear()


def _new_loop() -> asyncio.AbstractEventLoop:
    return _CLIENT_LOOP["new"]()


def _run(factory: Callable[[], Awaitable[T]]) -> T:
    """``asyncio.run(factory())``, on the event loop of this test's ``client_loop``."""

    async def main() -> T:
        return await factory()

    loop = _new_loop()
    try:
        return loop.run_until_complete(main())
    finally:
        try:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def _client(server: RawServer, **kwargs: Any) -> DependencyClient:
    kwargs.setdefault("backoff", FAST)
    kwargs.setdefault("timeout_sec", WAIT_SEC)
    return DependencyClient("Callee", server.url, **kwargs)


def _calls(server: RawServer, count: int, **kwargs: Any) -> list[Any]:
    async def go() -> list[Any]:
        async with _client(server, **kwargs) as client:
            return [await client.call({"n": n}) for n in range(count)]

    return _run(go)


def _answer(body: bytes, *extra: bytes) -> bytes:
    head = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n" + b"".join(extra)
    return head + b"content-length: %d\r\n\r\n" % len(body) + body


def _echo(request: RawRequest) -> bytes:
    return _answer(request.body)


def _assert_names_the_call(error: BaseException, server: RawServer) -> None:
    assert "'Callee'" in str(error) and f"{server.url}/run_remote" in str(error)


# -- keep-alive connections the server closes ----------------------------------------------


def test_a_connection_closed_right_after_its_answer_is_not_reused(
    raw: Callable[..., RawServer],
) -> None:
    """The server closes without ``connection: close``; its end-of-stream is in the socket but
    the client's loop has not read it yet (the loop is blocked meanwhile). The next call must
    not write into that connection: it succeeds on a new one, without using up a retry."""

    async def handler(peer: Peer) -> None:
        await peer.send(_echo(await peer.read_request()))

    server = raw(handler)

    async def go() -> list[Any]:
        async with _client(server, retries=0) as client:
            first = await client.call({"n": 1})
            server.wait_for(lambda: server.closed == 1, "the server to close")  # blocks the loop
            return [first, await client.call({"n": 2})]

    assert _run(go) == [{"n": 1}, {"n": 2}]
    assert (server.accepted, len(server.requests)) == (2, 2)


def test_a_connection_closed_while_idle_is_replaced(raw: Callable[..., RawServer]) -> None:
    async def handler(peer: Peer) -> None:
        await peer.send(_echo(await peer.read_request()))
        with contextlib.suppress(asyncio.TimeoutError):  # idle too long: close it
            await asyncio.wait_for(peer.read_request(), 0.05)

    server = raw(handler)

    async def go() -> list[Any]:
        async with _client(server, retries=0) as client:
            first = await client.call({"n": 1})
            await server.until(lambda: server.closed == 1, "the idle connection to close")
            return [first, await client.call({"n": 2})]

    assert _run(go) == [{"n": 1}, {"n": 2}]
    assert server.accepted == 2


def test_connection_close_is_honoured_even_if_the_server_keeps_it_open(
    raw: Callable[..., RawServer],
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(_answer(b'"once"', b"connection: close\r\n"))
        await peer.read_request()  # a client that ignored the header would hang here

    server = raw(handler)
    assert _calls(server, 3, retries=0, timeout_sec=2) == ["once"] * 3
    assert server.accepted == 3 and len(server.requests) == 3


def test_a_request_already_written_is_never_repeated(raw: Callable[..., RawServer]) -> None:
    """The server reads the second request on the kept-alive connection, then closes it: that
    request may have run, so it is reported, not sent again (even with retries left)."""

    async def handler(peer: Peer) -> None:
        await peer.send(_echo(await peer.read_request()))
        await peer.read_request()

    server = raw(handler)

    async def go() -> None:
        async with _client(server, retries=3) as client:
            await client.call({"n": 1})
            await client.call({"n": 2})

    with pytest.raises(DependencyUnavailableError) as caught:
        _run(go)
    assert "closed the kept-alive connection before it answered" in str(caught.value)
    _assert_names_the_call(caught.value, server)
    assert server.accepted == 1 and [r.body for r in server.requests] == [b'{"n":1}', b'{"n":2}']


async def _whoami(request: Request) -> JSONResponse:
    client = request.client
    return JSONResponse(client.port if client else None)


@pytest.fixture
def uvicorn_short_keepalive() -> Iterator[ThreadedUvicorn]:
    """uvicorn closing idle keep-alive connections after 0.1 s (its default is 5 s)."""
    app = Starlette(routes=[Route("/run_remote", _whoami, methods=["POST"])])
    # uvicorn types the timeout as int but schedules it with call_later: a float works.
    keepalive = cast(int, 0.1)
    served = ThreadedUvicorn(app, timeout_keep_alive=keepalive)
    try:
        yield served
    finally:
        served.stop()


def test_uvicorn_closing_an_idle_connection_costs_no_failed_call(
    uvicorn_short_keepalive: ThreadedUvicorn,
) -> None:
    served = uvicorn_short_keepalive

    async def go() -> list[int]:
        async with DependencyClient("Callee", served.url, retries=0) as client:
            ports = [await client.call({}), await client.call({})]
            deadline = time.monotonic() + WAIT_SEC
            while served.server.server_state.connections:  # its keep-alive timeout closes ours
                assert time.monotonic() < deadline, "uvicorn kept the idle connection"
                await asyncio.sleep(0.01)
            ports.append(await client.call({}))
            return ports

    first, second, third = _run(go)
    assert first == second != third  # kept alive, then replaced


# -- answers: framing, interim answers, big and broken ones --------------------------------

_CHUNKED_WITH_EXTENSIONS = (
    b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-checksum\r\n\r\n"
    b'4;name=value\r\n{"a"\r\n3;ext\r\n: 1\r\n1\r\n}\r\n0;last\r\nx-checksum: abc\r\n\r\n'
)
_INTERIM = (
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </x>; rel=preload\r\n\r\n"
)
_BIG_HEADER = b"x-big: " + b"h" * (MAX_HEAD_BYTES // 2) + b"\r\n"


@pytest.mark.parametrize(
    ("answer", "expected", "kept_alive"),
    [
        pytest.param(_answer(b"[1, 2, 3]"), [1, 2, 3], True, id="content-length"),
        pytest.param(_CHUNKED_WITH_EXTENSIONS, {"a": 1}, True, id="chunked-extensions-trailers"),
        pytest.param(b"HTTP/1.1 200 OK\r\n\r\n[7]", [7], False, id="close-delimited"),
        pytest.param(b"HTTP/1.0 200 OK\r\n\r\n[10]", [10], False, id="http-1.0"),
        pytest.param(b"HTTP/1.1 204 No Content\r\n\r\n", None, True, id="204-no-body"),
        pytest.param(_INTERIM + _answer(b'"real"'), "real", True, id="100-continue-and-103"),
        pytest.param(_answer(b'"big"', _BIG_HEADER), "big", True, id="huge-header"),
    ],
)
def test_answers_are_read_whole_and_exactly(
    raw: Callable[..., RawServer], answer: bytes, expected: Any, kept_alive: bool
) -> None:
    async def handler(peer: Peer) -> None:
        while True:
            await peer.read_request()
            await peer.send(answer)
            if not kept_alive:
                return

    server = raw(handler)
    assert _calls(server, 2, retries=0) == [expected, expected]
    assert server.accepted == (1 if kept_alive else 2)


def test_a_304_is_an_http_error_without_a_body(raw: Callable[..., RawServer]) -> None:
    async def handler(peer: Peer) -> None:
        while True:
            await peer.read_request()
            await peer.send(b"HTTP/1.1 304 Not Modified\r\ncontent-length: 99\r\n\r\n")

    server = raw(handler)
    with pytest.raises(DependencyHTTPError) as caught:
        _calls(server, 2, retries=0)
    assert caught.value.status == 304 and caught.value.body == "(empty body)"


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_a_body_larger_than_the_buffers_arrives_exactly(
    raw: Callable[..., RawServer], framing: str
) -> None:
    body = json.dumps({"blob": "".join(f"{i:07d}" for i in range(1_000_000))}).encode()  # 8 MB

    async def handler(peer: Peer) -> None:
        while True:
            await peer.read_request()
            if framing == "content-length":
                await peer.send(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body))
                for start in range(0, len(body), 65536):
                    await peer.send(body[start : start + 65536])
            else:
                await peer.send(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                for start in range(0, len(body), 4000):
                    piece = body[start : start + 4000]
                    await peer.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                await peer.send(b"0\r\n\r\n")

    server = raw(handler)

    async def go() -> list[bytes]:
        async with _client(server, retries=0) as client:
            return [await client.post_bytes(b"{}") for _ in range(2)]

    answers = _run(go)
    digest = hashlib.sha256(body).hexdigest()
    assert [hashlib.sha256(answer).hexdigest() for answer in answers] == [digest, digest]
    assert server.accepted == 1


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n[1, 2", id="content-length"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\n[1, \r\n",
            id="chunked-no-last-chunk",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n10\r\n[1, 2", id="mid-chunk"
        ),
    ],
)
def test_a_body_cut_short_is_an_error_never_a_shorter_body(
    raw: Callable[..., RawServer], answer: bytes
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(answer)

    server = raw(handler)
    with pytest.raises(DependencyUnavailableError, match="closed the connection mid-response") as e:
        _calls(server, 1, retries=2)
    _assert_names_the_call(e.value, server)
    assert len(server.requests) == 1  # it may have run: not repeated


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param(b"SSH-2.0-OpenSSH_9.6\r\n\r\n", "malformed HTTP response", id="garbage"),
        pytest.param(b"HTTP/1.1 2x0 OK\r\n\r\n", "malformed HTTP response", id="bad-status"),
        pytest.param(b"HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "malformed HTTP response", id="hdr"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n12",
            "malformed HTTP response",
            id="two-lengths",
        ),
        pytest.param(
            b"HTTP/1.1 101 Switching Protocols\r\nupgrade: h2c\r\nconnection: upgrade\r\n\r\n",
            "switched protocols",
            id="101",
        ),
        pytest.param(
            _answer(b"\x1f\x8b\x08\x00", b"content-encoding: gzip\r\n"),
            "content-encoding: gzip, which this client does not decode",
            id="gzip-body",
        ),
        pytest.param(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n1\r\n\x1f\r\n0\r\n\r\n",
            "transfer-encoding: gzip",
            id="gzip-transfer-coding",
        ),
    ],
)
def test_a_malformed_answer_is_a_clear_error(
    raw: Callable[..., RawServer], answer: bytes, message: str
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(answer)
        await peer.read_request()  # hold the connection open: the client must not wait for it

    server = raw(handler)
    start = time.monotonic()
    with pytest.raises(DependencyUnavailableError, match=message) as caught:
        _calls(server, 1, retries=2)
    assert time.monotonic() - start < WAIT_SEC  # the call's timeout never ran out
    _assert_names_the_call(caught.value, server)
    assert len(server.requests) == 1


def test_endless_headers_are_refused_without_waiting_for_the_timeout(
    raw: Callable[..., RawServer],
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\n")
        for n in range(10**9):
            await peer.send(b"x-header-%d: %s\r\n" % (n, b"v" * 1000))

    server = raw(handler)
    start = time.monotonic()
    with pytest.raises(DependencyUnavailableError, match=f"exceed {MAX_HEAD_BYTES} bytes") as e:
        _calls(server, 1, retries=0, timeout_sec=30)
    assert time.monotonic() - start < 20  # refused long before the 30 s timeout
    _assert_names_the_call(e.value, server)


# -- timeouts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"", id="never-answers"),
        pytest.param(b"HTTP/1.1 200 OK\r\n", id="status-line-only"),
        pytest.param(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\n\r\n[1,", id="body-stalls"),
    ],
)
def test_a_server_that_stalls_times_out_at_timeout_sec(
    raw: Callable[..., RawServer], answer: bytes
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(answer)
        await peer.read_request()  # stall until the client leaves

    server = raw(handler)
    start = time.monotonic()
    with pytest.raises(DependencyTimeoutError, match=r"timeout of 0\.3 s") as caught:
        _calls(server, 1, retries=2, timeout_sec=0.3)
    # uvloop's timers run on libuv's cached millisecond clock, which may lag
    # time.monotonic(), so the deadline can land a fraction of a millisecond early.
    # The upper bound is a hang guard only: a busy machine may take longer than 0.3 s.
    assert 0.29 <= time.monotonic() - start < WAIT_SEC
    _assert_names_the_call(caught.value, server)
    assert len(server.requests) == 1  # a timeout is not retried
    server.wait_for(lambda: server.open == 0, "the client to drop the connection")


def test_a_stream_that_stalls_after_its_headers_times_out_per_wait(
    raw: Callable[..., RawServer],
) -> None:
    async def handler(peer: Peer) -> None:
        await peer.read_request()
        await peer.send(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
        for item in range(3):  # three frames 0.1 s apart: each wait is under the timeout
            frame = encode_data_frame(item)
            await peer.send(b"%x\r\n%s\r\n" % (len(frame), frame))
            await asyncio.sleep(0.1)
        await peer.read_request()  # then nothing more

    server = raw(handler)
    items: list[Any] = []

    async def go() -> None:
        async with _client(server, retries=0) as client:
            async for item in client.stream({}, timeout_sec=0.5):
                items.append(item)

    start = time.monotonic()
    with pytest.raises(DependencyTimeoutError, match=r"stalled .* after 3 items"):
        _run(go)
    # At least the 0.3 s of frames, then one 0.5 s wait; the upper bound is a hang guard.
    assert 0.7 <= time.monotonic() - start < WAIT_SEC
    assert items == [0, 1, 2]


# -- many calls, few connections -----------------------------------------------------------


def test_concurrent_calls_never_open_more_than_the_limit_and_close_them_all(
    raw: Callable[..., RawServer],
) -> None:
    async def handler(peer: Peer) -> None:
        while True:
            request = await peer.read_request()
            await asyncio.sleep(0.002)
            await peer.send(_echo(request))

    server = raw(handler)

    async def go() -> list[Any]:
        async with _client(server, concurrency_limit=3) as client:
            return list(await asyncio.gather(*(client.call({"n": n}) for n in range(60))))

    assert _run(go) == [{"n": n} for n in range(60)]
    assert server.accepted == 3 and server.most_open == 3
    server.wait_for(lambda: server.open == 0, "every connection to be closed after aclose()")


def test_a_freed_connection_goes_to_the_caller_that_waited_longest(
    raw: Callable[..., RawServer],
) -> None:
    """With one connection: a worker calling back to back must not overtake a waiting call."""
    release = threading.Event()

    async def handler(peer: Peer) -> None:
        while True:
            request = await peer.read_request()
            if request.body == b'{"who":"worker","n":0}':
                await asyncio.to_thread(release.wait, WAIT_SEC)
            await peer.send(_echo(request))

    server = raw(handler)

    async def worker(client: DependencyClient) -> None:
        for n in range(2):
            await client.call({"who": "worker", "n": n})

    async def go() -> None:
        async with _client(server, concurrency_limit=1) as client:
            working = asyncio.ensure_future(worker(client))
            await server.until(lambda: len(server.requests) == 1, "the worker's first call")
            waiting = asyncio.ensure_future(client.call({"who": "waiter"}))
            await asyncio.sleep(0)  # the waiter queues for the connection
            release.set()
            await asyncio.gather(working, waiting)

    _run(go)
    assert [json.loads(r.body).get("n") for r in server.requests] == [0, None, 1]


def test_no_call_waits_past_its_timeout_under_sustained_load(raw: Callable[..., RawServer]) -> None:
    async def handler(peer: Peer) -> None:
        while True:
            request = await peer.read_request()
            await asyncio.sleep(0.003)
            await peer.send(_echo(request))

    server = raw(handler)
    waits: list[float] = []

    async def worker(client: DependencyClient, until: float) -> None:
        while time.monotonic() < until:
            start = time.monotonic()
            await client.call({})
            waits.append(time.monotonic() - start)

    async def go() -> None:
        async with _client(server, concurrency_limit=2, timeout_sec=1.0) as client:
            until = time.monotonic() + 1.0
            await asyncio.gather(*(worker(client, until) for _ in range(16)))

    _run(go)  # a call starved past its 1 s timeout would raise DependencyTimeoutError
    assert len(waits) > 50


# -- cancellation --------------------------------------------------------------------------


@pytest.mark.parametrize("cut", ["before-the-head", "mid-body", "mid-stream"])
def test_a_cancelled_call_never_leaves_its_answer_to_the_next(
    raw: Callable[..., RawServer], cut: str
) -> None:
    async def handler(peer: Peer) -> None:
        while True:
            request = await peer.read_request()
            if request.body != b'{"first":true}':
                await peer.send(_echo(request))
                continue
            frame = encode_data_frame("first")
            if cut == "mid-body":
                await peer.send(_answer(b'{"first": "x' + b"x" * 100_000 + b'"}')[:50_000])
            elif cut == "mid-stream":
                await peer.send(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n")
                await peer.send(b"%x\r\n%s\r\n" % (len(frame), frame))
            await asyncio.sleep(0.2)  # the rest of the first answer comes too late
            await peer.send(_answer(b'"late"') if cut != "mid-stream" else b"0\r\n\r\n")

    server = raw(handler)

    async def first(client: DependencyClient, started: asyncio.Event) -> None:
        if cut == "mid-stream":
            async for _ in client.stream({"first": True}):
                started.set()
        else:
            await client.call({"first": True})

    async def go() -> Any:
        async with _client(server, concurrency_limit=1) as client:
            started = asyncio.Event()
            task = asyncio.ensure_future(first(client, started))
            if cut == "mid-stream":
                await asyncio.wait_for(started.wait(), WAIT_SEC)
            else:
                await server.until(lambda: len(server.requests) == 1, "the first call")
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            return await client.call({"second": True})

    assert _run(go) == {"second": True}
    assert server.accepted == 2  # the half-read connection was dropped, not reused


def test_a_call_cancelled_as_it_connects_is_cancelled_and_leaks_nothing() -> None:
    """Cancel a call after every number of event-loop steps, through connecting and sending:
    it must end cancelled (not carry on and send its request) and leave no connection open."""

    async def go() -> tuple[int, int]:
        accepted = requests = 0
        open_connections: set[asyncio.StreamWriter] = set()

        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal accepted, requests
            accepted += 1
            open_connections.add(writer)
            try:
                while True:
                    await reader.readuntil(b"\r\n\r\n")
                    await reader.readexactly(2)
                    requests += 1
                    writer.write(_answer(b"1"))
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                open_connections.discard(writer)
                writer.close()

        server = await asyncio.start_server(handler, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        completed = 0
        try:
            for steps in range(40):
                client = DependencyClient("Callee", url, retries=0)
                task = asyncio.ensure_future(client.call({}))
                for _ in range(steps):
                    await asyncio.sleep(0)
                if task.cancel():
                    with pytest.raises(asyncio.CancelledError):
                        await task
                else:
                    completed += 1
                await client.aclose()
            deadline = time.monotonic() + WAIT_SEC
            while open_connections:
                assert time.monotonic() < deadline, "a cancelled call left a connection open"
                await asyncio.sleep(0.01)
        finally:
            server.close()
        return accepted, requests

    accepted, requests = _run(go)
    assert accepted > 0 and requests > 0  # the steps covered connecting, sending and answering


# -- event loops ---------------------------------------------------------------------------


def test_one_client_used_by_two_live_event_loops_at_once(raw: Callable[..., RawServer]) -> None:
    async def handler(peer: Peer) -> None:
        while True:
            await peer.send(_echo(await peer.read_request()))

    server = raw(handler)
    client = _client(server, concurrency_limit=2)
    both_live = threading.Barrier(2, timeout=WAIT_SEC)
    results: dict[str, list[Any]] = {}

    def thread_main(name: str) -> None:
        async def calls() -> list[Any]:
            answers = [await client.call({"loop": name, "n": 0})]
            await asyncio.to_thread(both_live.wait)  # each loop has an idle connection now
            answers += await asyncio.gather(*(client.call({"loop": name, "n": n}) for n in (1, 2)))
            return answers

        results[name] = _run(calls)

    threads = [threading.Thread(target=thread_main, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SEC)
    _run(client.aclose)
    assert results == {name: [{"loop": name, "n": n} for n in range(3)] for name in ("a", "b")}, (
        "a call failed on one of the loops"
    )
    server.wait_for(lambda: server.open == 0, "every connection to be closed")


def test_aclose_closes_the_connections_of_another_running_loop(
    raw: Callable[..., RawServer],
) -> None:
    async def handler(peer: Peer) -> None:
        while True:
            await peer.send(_echo(await peer.read_request()))

    server = raw(handler)
    client = _client(server)
    background = _new_loop()
    thread = threading.Thread(target=background.run_forever, daemon=True)
    thread.start()
    try:
        in_background = asyncio.run_coroutine_threadsafe(client.call({"n": 1}), background)
        assert in_background.result(WAIT_SEC) == {"n": 1}

        async def here() -> Any:
            answer = await client.call({"n": 2})
            await client.aclose()
            return answer

        assert _run(here) == {"n": 2}
        server.wait_for(lambda: server.open == 0, "both loops' connections to be closed")
    finally:
        background.call_soon_threadsafe(background.stop)
        thread.join(WAIT_SEC)
        background.close()


class Echo(chains.StubBase):
    async def run_remote(self, n: int) -> Any:
        return await self.predict_async({"n": n})


def test_a_stub_called_sync_from_threads_and_async_at_once(raw: Callable[..., RawServer]) -> None:
    """``predict_sync`` runs on the stub's background loop thread while ``predict_async`` runs
    on the caller's loop: both at once, with no cross-loop error."""

    async def handler(peer: Peer) -> None:
        while True:
            request = await peer.read_request()
            await asyncio.sleep(0.001)
            await peer.send(_echo(request))

    server = raw(handler)
    stub = Echo.from_url(f"{server.url}/predict", options=chains.RPCOptions(retries=0))

    async def go() -> tuple[list[Any], list[Any]]:
        sync_calls = asyncio.gather(
            *(asyncio.to_thread(stub.predict_sync, {"n": n}) for n in range(20))
        )
        async_calls = asyncio.gather(*(stub.predict_async({"n": -n}) for n in range(20)))
        results = await asyncio.gather(sync_calls, async_calls)
        await stub.aclose()
        return results[0], results[1]

    sync_results, async_results = _run(go)
    assert sync_results == [{"n": n} for n in range(20)]
    assert async_results == [{"n": -n} for n in range(20)]
    server.wait_for(lambda: server.open == 0, "the stub's connections to be closed")


# -- URLs ----------------------------------------------------------------------------------


def _request_line_for(raw: Callable[..., RawServer], base_url: str) -> tuple[str, str]:
    """The request line and host header a client made with ``base_url`` sends."""
    server = raw(_echo_forever)
    url = base_url.replace("PORT", str(server.port))

    async def go() -> Any:
        async with DependencyClient("Callee", url, retries=0) as client:
            return await client.call({})

    assert _run(go) == {}
    request = server.requests[0]
    return request.request_line, request.headers["host"]


def test_a_base_url_with_a_path_prefix_and_a_query(raw: Callable[..., RawServer]) -> None:
    line, host = _request_line_for(raw, "http://127.0.0.1:PORT/models/abc/?v=2&x=a%20b#top")
    assert line == "POST /models/abc/run_remote?v=2&x=a%20b HTTP/1.1"
    assert host.startswith("127.0.0.1:")


def test_a_path_with_spaces_and_non_ascii_is_escaped(raw: Callable[..., RawServer]) -> None:
    line, _ = _request_line_for(raw, "http://127.0.0.1:PORT/my model/é")
    assert line == "POST /my%20model/%C3%A9/run_remote HTTP/1.1"


def test_an_ipv6_literal(raw: Callable[..., RawServer]) -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    try:
        server = raw(_echo_forever, host="::1")
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    assert server.url.startswith("http://[::1]:")
    assert _calls(server, 2, retries=0) == [{"n": 0}, {"n": 1}]
    assert server.requests[0].headers["host"] == f"[::1]:{server.port}"


async def _echo_forever(peer: Peer) -> None:
    while True:
        await peer.send(_echo(await peer.read_request()))


def test_https_to_a_plain_http_server_is_a_clear_error(raw: Callable[..., RawServer]) -> None:
    async def handler(peer: Peer) -> None:
        await peer.reader.read(1)  # a TLS hello is no HTTP request
        await peer.send(b"HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n")

    server = raw(handler)
    url = server.url.replace("http://", "https://")

    async def go() -> Any:
        async with DependencyClient("Callee", url, retries=0, timeout_sec=WAIT_SEC) as client:
            return await client.call({})

    with pytest.raises(DependencyUnavailableError, match="cannot connect after 1 attempt") as e:
        _run(go)
    assert "SSL" in str(e.value) and url in str(e.value)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://host/x", "expected http://HOST"),
        ("http://user:hunter2@host/x", "credentials in a URL are not supported"),
        ("http://host/x\r\nx-evil: 1", "control character"),
        ("http://host:0/x", "port 0"),
        ("http://[::1/x", "Invalid IPv6 URL"),
    ],
)
def test_bad_urls_are_refused_with_a_clear_error(url: str, message: str) -> None:
    with pytest.raises(ChainsUsageError, match=message) as caught:
        DependencyClient("Callee", url)
    assert "hunter2" not in str(caught.value)


def test_pool_refuses_credentials_too() -> None:
    with pytest.raises(ChainsUsageError, match="credentials") as caught:
        ConnectionPool("https://admin:s3cret@host/run_remote")
    assert "s3cret" not in str(caught.value)
