"""The server harness, served by a real uvicorn on loopback and driven with httpx."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import cast

import chains_runtime as chains
import httpx
import pytest
from chains_runtime.client import DependencyClient, DependencyUnavailableError
from chains_runtime.protocol import END_FRAME, SERVICE_TOKEN_HEADER, parse_frame
from chains_runtime.server import ServerConfig
from chains_runtime.server.access_log import AccessLog, configure_access_log

from tests.server_helpers import ServedChainlets, ThreadedServer


class Echo(chains.ChainletBase):
    async def run_remote(
        self, x: int, name: str = "world", tags: list[str] | None = None
    ) -> dict[str, object]:
        return {"x": x, "name": name, "tags": tags}


class Boom(chains.ChainletBase):
    async def run_remote(self) -> int:
        raise ValueError("kaput")


class DeadDependency(chains.ChainletBase):
    async def run_remote(self) -> int:
        raise DependencyUnavailableError("Leaf", "http://127.0.0.1:9/run_remote", "refused")


class Streamer(chains.ChainletBase):
    async def run_remote(self, n: int, fail_at: int = -1) -> AsyncIterator[int]:
        for i in range(n):
            if i == fail_at:
                raise RuntimeError("midway")
            yield i


BYTE_ITEMS = [b"", b"\xff\x00\x80", bytes(range(256)) * 300, b"text", b"a\x00\xff"]


class ByteStreamer(chains.ChainletBase):
    """Yields ``bytes`` as truss's stream writer returns them too (a ``memoryview``)."""

    async def run_remote(self) -> AsyncIterator[bytes]:
        yield BYTE_ITEMS[0]
        yield cast(bytes, memoryview(BYTE_ITEMS[1]))  # typed as truss types it
        yield cast(bytes, bytearray(BYTE_ITEMS[2]))
        yield BYTE_ITEMS[3]
        yield cast(bytes, memoryview(b"a-\x00-\xff-")[::2])  # not contiguous


class SlowStreamer(chains.ChainletBase):
    async def run_remote(self, n: int, delay: float = 0.0) -> AsyncIterator[int]:
        for i in range(n):
            await asyncio.sleep(delay)
            yield i


# Two calls pass only together: proof that they run at the same time, with no clock.
MEETING = threading.Barrier(2)
MEETING_WAIT_SEC = 8.0  # below the test client's 10 s timeout


class MeetsAnother(chains.ChainletBase):
    def run_remote(self) -> bool:
        try:
            MEETING.wait(timeout=MEETING_WAIT_SEC)
        except threading.BrokenBarrierError:
            return False
        return True


class SlowAsync(chains.ChainletBase):
    async def run_remote(self, seconds: float = 0.5) -> str:
        await asyncio.sleep(seconds)
        return "done"


class WithSecret(chains.ChainletBase):
    remote_config = chains.RemoteConfig(assets=chains.Assets(secret_keys=["token"]))

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._token = context.secrets["token"]
        self.healthy = True

    def is_healthy(self) -> bool:
        return self.healthy

    async def run_remote(self) -> str:
        return self._token


def _error(response: httpx.Response) -> dict[str, object]:
    body = response.json()
    assert isinstance(body, dict)
    error = body["error"]
    assert isinstance(error, dict)
    return error


def test_defaults_kept_and_request_id(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Echo)
    response = client.post("/run_remote", json={"x": 3}, headers={"x-request-id": "abc"})
    assert response.status_code == 200
    assert response.json() == {"x": 3, "name": "world", "tags": None}
    assert response.headers["x-request-id"] == "abc"
    generated = client.post("/run_remote", json={"x": 1, "name": "Ada", "tags": ["a"]})
    assert generated.json() == {"x": 1, "name": "Ada", "tags": ["a"]}
    assert generated.headers["x-request-id"]


@pytest.mark.parametrize(
    ("body", "field", "reason"),
    [
        ({}, "x", "Field required"),
        ({"x": "nope"}, "x", "valid integer"),
        ({"x": None}, "x", "valid integer"),
        ({"x": 1, "name": None}, "name", "valid string"),
        ({"x": 1, "extra": 2}, "extra", "Extra inputs are not permitted"),
    ],
)
def test_validation_errors_name_the_field(serve, body, field, reason) -> None:  # type: ignore[no-untyped-def]
    response = serve(Echo).post("/run_remote", json=body)
    assert response.status_code == 422
    error = _error(response)
    assert error["status"] == 422 and error["chainlet"] == "Echo"
    assert f"`{field}`" in str(error["message"]) and reason in str(error["message"])


def test_user_exception_is_500_envelope(serve) -> None:  # type: ignore[no-untyped-def]
    response = serve(Boom, expose_tracebacks=True).post("/run_remote", json={})
    assert response.status_code == 500
    error = _error(response)
    assert error["type"] == "ValueError" and error["message"] == "kaput"
    assert error["chainlet"] == "Boom" and error["status"] == 500
    assert "kaput" in str(error["traceback"])
    assert error["request_id"] == response.headers["x-request-id"]


def test_unreachable_dependency_is_502_naming_it(serve) -> None:  # type: ignore[no-untyped-def]
    response = serve(DeadDependency).post("/run_remote", json={})
    assert response.status_code == 502
    error = _error(response)
    assert error["chainlet"] == "Leaf" and error["type"] == "DependencyUnavailableError"
    assert "refused" in str(error["message"])


def test_stream_success_ends_with_end_frame(serve) -> None:  # type: ignore[no-untyped-def]
    response = serve(Streamer).post("/run_remote", json={"n": 3})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = response.content.splitlines(keepends=True)
    assert [json.loads(line) for line in lines[:-1]] == [{"data": 0}, {"data": 1}, {"data": 2}]
    assert lines[-1] == END_FRAME


def test_stream_failing_midway_has_error_frame_and_no_end(serve) -> None:  # type: ignore[no-untyped-def]
    response = serve(Streamer).post("/run_remote", json={"n": 5, "fail_at": 2})
    lines = response.content.splitlines()
    assert [json.loads(line) for line in lines[:2]] == [{"data": 0}, {"data": 1}]
    last = json.loads(lines[-1])
    assert last["error"]["type"] == "RuntimeError" and last["error"]["message"] == "midway"
    parse_frame(lines[-1])
    assert END_FRAME.strip() not in response.content


def test_stream_of_bytes_items_that_are_not_text(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(ByteStreamer)
    response = client.post("/run_remote", json={})
    assert response.status_code == 200
    lines = response.content.splitlines(keepends=True)
    assert lines[1] == '{"bytes":"\u00ff\\u0000\u0080"}\n'.encode()  # one character per byte
    assert lines[-1] == END_FRAME
    assert [parse_frame(line).data for line in lines[:-1]] == BYTE_ITEMS  # type: ignore[union-attr]

    async def read(use_binary: bool) -> list[object]:
        url = str(client.base_url)
        async with DependencyClient("ByteStreamer", url, use_binary=use_binary) as dependency:
            return [item async for item in dependency.stream({})]

    assert asyncio.run(read(use_binary=False)) == BYTE_ITEMS
    assert asyncio.run(read(use_binary=True)) == BYTE_ITEMS


def test_health_readiness_and_secret_context(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(WithSecret, secrets={"token": "s3cret", "other": "x"})
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.post("/run_remote", json={}).json() == "s3cret"


def test_readyz_503_when_unhealthy_or_init_failed(serve) -> None:  # type: ignore[no-untyped-def]
    WithSecret.is_healthy = lambda self: False  # type: ignore[method-assign]
    try:
        client = serve(WithSecret, secrets={"token": "t"})
        assert client.get("/readyz").status_code == 503
    finally:
        del WithSecret.is_healthy
    missing = serve(WithSecret)  # the declared secret has no value: __init__ fails
    assert missing.get("/healthz").status_code == 200
    assert missing.get("/readyz").status_code == 503
    response = missing.post("/run_remote", json={})
    assert response.status_code == 503 and "retry-after" in response.headers


def test_concurrency_limit_and_full_queue_503(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(SlowAsync, predict_concurrency=1, queue_size=1, retry_after_sec=2)
    with ThreadPoolExecutor(3) as pool:
        running = pool.submit(client.post, "/run_remote", json={"seconds": 0.6})
        time.sleep(0.15)
        queued = pool.submit(client.post, "/run_remote", json={"seconds": 0.1})
        time.sleep(0.15)
        refused = client.post("/run_remote", json={"seconds": 0.1})
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "2"
        assert _error(refused)["type"] == "Overloaded"
        assert running.result().status_code == 200
        assert queued.result().status_code == 200


def test_body_too_large_413(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(Echo, max_body_bytes=100)
    response = client.post("/run_remote", json={"x": 1, "name": "a" * 200})
    assert response.status_code == 413
    assert client.post("/run_remote", json={"x": 1}).status_code == 200


def test_service_token_and_api_key(serve) -> None:  # type: ignore[no-untyped-def]
    internal = serve(Echo, service_token="tok", require_service_token=True)
    denied = internal.post("/run_remote", json={"x": 1}, headers={"x-request-id": "r1"})
    assert denied.status_code == 401 and denied.headers["x-request-id"] == "r1"
    ok = internal.post("/run_remote", json={"x": 1}, headers={SERVICE_TOKEN_HEADER: "tok"})
    assert ok.status_code == 200
    wrong = internal.post("/run_remote", json={"x": 1}, headers={SERVICE_TOKEN_HEADER: "bad"})
    assert wrong.status_code == 401
    entry = serve(Echo, api_key="k1")
    assert entry.post("/run_remote", json={"x": 1}).status_code == 401
    auth = {"Authorization": "Api-Key k1"}
    assert entry.post("/run_remote", json={"x": 1}, headers=auth).status_code == 200
    assert entry.post("/run_remote", json={"x": 1}, headers={"x-api-key": "k1"}).status_code == 200


def test_sync_run_remote_does_not_block_the_loop(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(MeetsAnother, predict_concurrency=2)
    MEETING.reset()
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.post, "/run_remote", json={})
        deadline = time.monotonic() + MEETING_WAIT_SEC
        while MEETING.n_waiting < 1:  # the first call is inside run_remote, blocked
            assert time.monotonic() < deadline, "the first call never reached run_remote"
            time.sleep(0.01)
        assert client.get("/healthz").status_code == 200  # the loop answers meanwhile
        second = pool.submit(client.post, "/run_remote", json={})
        # Both return True only if they met: the two sync calls ran at the same time.
        assert [first.result().json(), second.result().json()] == [True, True]


def _stream_ok(client: httpx.Client, deadline: float) -> httpx.Response:
    """A short stream call, retried while the chainlet says 503, until ``deadline``."""
    while True:
        response = client.post("/run_remote", json={"n": 2})
        if response.status_code != 503 or time.monotonic() > deadline:
            return response
        time.sleep(0.05)


def test_stream_disconnect_releases_the_slot(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(SlowStreamer, predict_concurrency=1, queue_size=0)
    for _ in range(4):
        # the first frame comes only after a while: the client leaves before any body is sent
        with client.stream("POST", "/run_remote", json={"n": 1000, "delay": 0.2}) as response:
            assert response.status_code == 200
        response = _stream_ok(client, time.monotonic() + 3)
        assert response.status_code == 200, response.text
        assert response.content.splitlines(keepends=True)[-1] == END_FRAME
    # leaving mid-stream, after some frames, releases the slot too
    with client.stream("POST", "/run_remote", json={"n": 1000, "delay": 0.01}) as response:
        lines = response.iter_lines()
        first = next(lines)
        assert json.loads(first) == {"data": 0}, first
    assert _stream_ok(client, time.monotonic() + 3).status_code == 200


def _post_and_hang_up(url: str, body: bytes) -> None:
    """Send a whole ``POST /run_remote`` on a raw socket, then close it without reading."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port))) as sock:
        head = (
            f"POST /run_remote HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n"
        )
        sock.sendall(head.encode() + body)
        time.sleep(0.05)


def test_stream_disconnect_while_queued_releases_the_slot(serve) -> None:  # type: ignore[no-untyped-def]
    # The queued client is gone before its response runs: the body generator never starts.
    client = serve(SlowStreamer, predict_concurrency=1, queue_size=1)
    url = str(client.base_url).rstrip("/")
    for _ in range(3):
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(client.post, "/run_remote", json={"n": 3, "delay": 0.1})
            time.sleep(0.1)
            _post_and_hang_up(url, b'{"n": 1000, "delay": 0.2}')
            assert running.result().content.endswith(END_FRAME)
        response = _stream_ok(client, time.monotonic() + 3)
        assert response.status_code == 200, response.text
        assert response.content.splitlines(keepends=True)[-1] == END_FRAME


def test_stream_never_iterated_releases_the_slot() -> None:
    # The transport fails on the response start: Starlette never starts the body generator.
    server = ThreadedServer(SlowStreamer, ServerConfig(predict_concurrency=1, queue_size=0))
    try:
        body = b'{"n": 5}'
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/run_remote",
            "raw_path": b"/run_remote",
            "query_string": b"",
            "root_path": "",
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"8")],
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 2),
            "state": {},
        }

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: dict[str, object]) -> None:
            raise OSError("connection reset")

        async def call() -> None:
            await server.app(scope, receive, send)  # type: ignore[arg-type]

        for _ in range(3):  # the app and its started state, driven from this thread's loop
            asyncio.run(asyncio.wait_for(call(), 5))  # the client is gone: nothing to report
        client = httpx.Client(base_url=server.url, timeout=10)
        response = _stream_ok(client, time.monotonic() + 2)
        assert response.status_code == 200, response.text
        assert response.content.endswith(END_FRAME)
    finally:
        server.stop()


def test_stream_slot_released_exactly_once(serve) -> None:  # type: ignore[no-untyped-def]
    client = serve(SlowStreamer, predict_concurrency=1, queue_size=0)
    for _ in range(3):
        response = client.post("/run_remote", json={"n": 3})
        lines = response.content.splitlines(keepends=True)
        assert [json.loads(line) for line in lines[:-1]] == [{"data": i} for i in range(3)]
        assert lines[-1] == END_FRAME
    with ThreadPoolExecutor(2) as pool:  # a double release would let a second call in at once
        running = pool.submit(client.post, "/run_remote", json={"n": 3, "delay": 0.2})
        time.sleep(0.2)
        refused = client.post("/run_remote", json={"n": 1})
        assert refused.status_code == 503 and _error(refused)["type"] == "Overloaded"
        assert running.result().content.endswith(END_FRAME)


# -- request ids and the access log ------------------------------------------------------

Serve = Callable[..., httpx.Client]


class WhoAmI(chains.ChainletBase):
    async def run_remote(self, text: str = "") -> str | None:
        return chains.current_request_id()


class WhoAmISync(chains.ChainletBase):
    def run_remote(self) -> str | None:
        return chains.current_request_id()


def test_user_code_reads_the_request_id(serve: Serve) -> None:
    for chainlet in (WhoAmI, WhoAmISync):
        client = serve(chainlet)
        given = client.post("/run_remote", json={}, headers={"x-request-id": "req-42"})
        assert given.json() == "req-42" and given.headers["x-request-id"] == "req-42"
        made = client.post("/run_remote", json={})
        assert made.json() == made.headers["x-request-id"]
        assert re.fullmatch("[0-9a-f]{32}", made.json())
    assert chains.current_request_id() is None


def test_unsafe_incoming_request_id_is_replaced(serve: Serve) -> None:
    client = serve(WhoAmI)
    for bad in ("x" * 129, "has space", "tab\there"):
        response = client.post("/run_remote", json={}, headers={"x-request-id": bad})
        assert response.status_code == 200
        assert re.fullmatch("[0-9a-f]{32}", response.headers["x-request-id"])
        assert response.json() == response.headers["x-request-id"]


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "chains_runtime.access"]


def test_access_log_one_line_per_call_without_bodies_or_secrets(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chains_runtime.access")
    client = serve(WhoAmI, service_token="tok-SECRET", require_service_token=True)
    token = {SERVICE_TOKEN_HEADER: "tok-SECRET"}
    body = {"text": "BODY-PAYLOAD"}
    ok = client.post("/run_remote", json=body, headers={**token, "x-request-id": "a-1"})
    bad = client.post("/run_remote", json={"nope": 1}, headers={**token, "x-request-id": "a-2"})
    denied = client.post("/run_remote", json=body, headers={"x-request-id": "a-3"})
    assert (ok.status_code, bad.status_code, denied.status_code) == (200, 422, 401)
    client.get("/healthz")  # operational endpoints are not logged
    lines = _access_lines(caplog)
    assert len(lines) == 3, lines
    for line, (rid, status) in zip(lines, [("a-1", 200), ("a-2", 422), ("a-3", 401)], strict=True):
        match = re.fullmatch(
            r"request_id=(\S+) chainlet=WhoAmI status=(\d+) duration_ms=(\d+\.\d\d)", line
        )
        assert match, line
        assert match.group(1) == rid and int(match.group(2)) == status
    record = next(r for r in caplog.records if r.name == "chains_runtime.access")
    assert record.__dict__["request_id"] == "a-1" and record.__dict__["status"] == 200
    text = caplog.text
    assert "BODY-PAYLOAD" not in text and "SECRET" not in text and "nope" not in text


def test_stream_access_line_says_how_it_ended(
    serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="chains_runtime.access")
    client = serve(Streamer)
    client.post("/run_remote", json={"n": 2})
    client.post("/run_remote", json={"n": 3, "fail_at": 1})
    deadline = time.monotonic() + 5  # logged once closed, just after its last frame went out
    while len(lines := _access_lines(caplog)) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert [line.rsplit(" ", 1)[1] for line in lines] == ["stream=complete", "stream=error"]


def test_unknown_path_404_and_wrong_method_405(serve: Serve) -> None:
    client = serve(Echo)
    missing = client.get("/nope")
    assert missing.status_code == 404 and _error(missing)["type"] == "NotFound"
    wrong = client.get("/run_remote")
    assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
    posted = client.post("/healthz")
    assert posted.status_code == 405 and posted.headers["allow"] == "GET, HEAD"


# -- secrets -------------------------------------------------------------------------------


class TwoSecrets(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(secret_keys=["token", "hf_key", "unset"])
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._secrets = context.secrets

    async def run_remote(self, key: str) -> str | None:
        return self._secrets.get(key)


def test_secrets_mapping_beats_env_beats_files(
    serve: Serve, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "token").write_text("from-file\n")
    (tmp_path / "hf_key").write_text("hf-from-file\n")
    (tmp_path / "undeclared").write_text("never-visible\n")
    monkeypatch.setenv("CHAINS_SECRET_token", "from-env")
    monkeypatch.setenv("CHAINS_SECRET_undeclared", "never-visible")
    client = serve(TwoSecrets, secrets_dir=tmp_path)
    assert client.post("/run_remote", json={"key": "token"}).json() == "from-env"
    assert client.post("/run_remote", json={"key": "hf_key"}).json() == "hf-from-file"
    assert client.post("/run_remote", json={"key": "unset"}).json() is None
    undeclared = client.post("/run_remote", json={"key": "undeclared"})
    assert undeclared.status_code == 500 and _error(undeclared)["type"] == "UndeclaredSecretError"
    assert "never-visible" not in undeclared.text
    mapped = serve(TwoSecrets, secrets_dir=tmp_path, secrets={"token": "from-mapping"})
    assert mapped.post("/run_remote", json={"key": "token"}).json() == "from-mapping"


def test_load_secrets_precedence_and_scope(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("file-a\n")
    (tmp_path / "b").write_text("file-b")
    (tmp_path / ".hidden").write_text("x")
    config = ServerConfig(secrets={"a": "map-a"}, secrets_dir=tmp_path)
    environ = {"CHAINS_SECRET_a": "env-a", "CHAINS_SECRET_b": "env-b", "CHAINS_SECRET_c": "env-c"}
    assert config.load_secrets(environ=environ) == {"a": "map-a", "b": "env-b", "c": "env-c"}
    assert config.load_secrets(["b", "d"], environ={}) == {"b": "file-b"}
    assert config.load_secrets(["a", "b"], environ=environ) == {"a": "map-a", "b": "env-b"}
    assert ServerConfig().load_secrets(environ={"CHAINS_SECRET_": "no key"}) == {}


def test_missing_secret_names_the_key_and_where_it_was_looked_for(
    serve: Serve, tmp_path: Path
) -> None:
    client = serve(WithSecret, secrets_dir=tmp_path)
    assert client.get("/readyz").status_code == 503
    response = client.post("/run_remote", json={})
    assert response.status_code == 503
    message = str(_error(response)["message"])
    assert "`token`" in message and "CHAINS_SECRET_token" in message
    assert str(tmp_path / "token") in message


# -- one request id along a chain of real processes ----------------------------------------

HELLO_CHAIN = Path(__file__).resolve().parent.parent / "examples" / "hello" / "chain.py"
TOKEN = "server-test-token"


def test_leaf_logs_the_request_id_of_the_entrypoint(chainlets: ServedChainlets) -> None:
    leaf = chainlets.start(
        f"{HELLO_CHAIN}:SayHello", {"chainlet": "SayHello", "service_token": TOKEN}
    )
    entry = chainlets.start(
        f"{HELLO_CHAIN}:HelloAll",
        {
            "chainlet": "HelloAll",
            "is_entrypoint": True,
            "dependencies": {"SayHello": leaf.url},
            "service_token": TOKEN,
        },
    )
    url = f"{entry.url}/run_remote"
    given = httpx.post(url, json={"names": ["Ada"]}, headers={"x-request-id": "trace-7"})
    assert given.status_code == 200 and given.headers["x-request-id"] == "trace-7"
    made = httpx.post(url, json={"names": ["Bo", "Cy"]}, timeout=10)
    assert made.status_code == 200, made.text
    made_id = made.headers["x-request-id"]
    for rid, calls in (("trace-7", 1), (made_id, 2)):
        entry.wait_for_line(rf"request_id={re.escape(rid)} chainlet=HelloAll status=200 ")
        pattern = rf"request_id={re.escape(rid)} chainlet=SayHello status=200 "
        # The leaf logs after answering, so its lines can trail the entrypoint's.
        assert len(leaf.wait_for_lines(pattern, calls)) == calls
    assert TOKEN not in entry.stderr() + leaf.stderr()


@pytest.fixture
def access_logger() -> Iterator[logging.Logger]:
    """The access logger, put back as it was after the test configured it."""
    logger = logging.getLogger("chains_runtime.access")
    saved = (list(logger.handlers), logger.level, logger.propagate)
    try:
        yield logger
    finally:
        logger.handlers[:], logger.level, logger.propagate = saved


def test_configured_access_log_writes_the_logging_format(access_logger: logging.Logger) -> None:
    stream = io.StringIO()
    configure_access_log("info", stream)
    configure_access_log("info", stream)  # idempotent: still one handler
    assert len(access_logger.handlers) == 1
    AccessLog("Echo").record("r-1", 200, 0.0123)
    AccessLog("Echo").record("r-2", 200, 1.5, stream="disconnected")
    logging.getLogger("chains_runtime.access").info("through logging: %s", "same shape")
    lines = stream.getvalue().splitlines()
    stamp = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO chains_runtime\.access "
    assert re.fullmatch(
        stamp + "request_id=r-1 chainlet=Echo status=200 duration_ms=12.30", lines[0]
    )
    assert re.fullmatch(
        stamp + "request_id=r-2 chainlet=Echo status=200 duration_ms=1500.00 stream=disconnected",
        lines[1],
    )
    assert re.fullmatch(stamp + "through logging: same shape", lines[2])
    configure_access_log("warning", stream)
    AccessLog("Echo").record("r-3", 200, 0.1)
    assert "r-3" not in stream.getvalue()
