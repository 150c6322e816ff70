"""Input that is valid JSON and meant for us, and what errors tell whom (issue 9, sections 5, 9).

Real uvicorn servers on loopback (in a thread, or as ``python -m chains_runtime.serve``
processes), driven with httpx and raw sockets.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import socket
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import chains_runtime as chains
import httpx
import pydantic
import pytest
from chains_runtime.client import DependencyClient
from chains_runtime.finite_json import NonFiniteFloatError, non_finite_constant
from chains_runtime.protocol import SERVICE_TOKEN_HEADER, parse_frame
from chains_runtime.server.hosts import LOOPBACK_NAMES

from tests.server_helpers import ServedChainlets

TOKEN = "input-safety-token"


class Floats(chains.ChainletBase):
    async def run_remote(self, x: float, anything: object = None, name: str = "") -> float:
        return x


class Counter(chains.ChainletBase):
    async def run_remote(self, n: int) -> int:
        return n + 1


class NanResult(chains.ChainletBase):
    async def run_remote(self, how: str) -> list[float]:
        return [1.0, float(how)]


class Reading(pydantic.BaseModel):
    value: float


class NanInModel(chains.ChainletBase):
    async def run_remote(self) -> Reading:
        return Reading(value=float("nan"))


class NanStream(chains.ChainletBase):
    async def run_remote(self) -> AsyncIterator[float]:
        yield 1.0
        yield float("inf")


class Boom(chains.ChainletBase):
    async def run_remote(self) -> int:
        raise ValueError("kaput")



def _post(client: httpx.Client, body: bytes, **headers: str) -> httpx.Response:
    return client.post(
        "/run_remote", content=body, headers={"content-type": "application/json", **headers}
    )


def _error(response: httpx.Response) -> dict[str, Any]:
    error = response.json()["error"]
    assert isinstance(error, dict)
    return error


# -- NaN and Infinity --------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"x": NaN}',
        b'{"x": Infinity}',
        b'{"x": -Infinity}',
        b'{"x": 1, "anything": [1, {"deep": NaN}]}',
        b'{"x": 1, "anything": -Infinity}',
        b'{"x": "nan"}',
        b'{"x": "-inf"}',
        b'{"x": 1e999}',
        b'{"x": 1, "anything": [1, -1E400]}',
    ],
)
def test_non_finite_floats_in_a_request_are_422(serve: Any, body: bytes) -> None:
    response = _post(serve(Floats), body)
    assert response.status_code == 422, response.text
    error = _error(response)
    assert error["type"] == "ValidationError"
    assert any(word in error["message"] for word in ("not JSON", "finite", "too large")), error


def test_the_letters_inside_strings_are_fine(serve: Any) -> None:
    body = b'{"x": 1.5e300, "name": "NaN Infinity 1e999", "anything": {"NaN": "-Infinity"}}'
    response = _post(serve(Floats), body)
    assert response.status_code == 200 and response.json() == 1.5e300


@pytest.mark.parametrize("how", ["nan", "inf", "-inf"])
def test_a_non_finite_float_result_is_a_500_never_null_or_nan(serve: Any, how: str) -> None:
    response = _post(serve(NanResult), json.dumps({"how": how}).encode())
    assert response.status_code == 500
    error = _error(response)
    assert error["type"] == "NonFiniteFloatError" and "JSON cannot carry" in error["message"]
    assert error["chainlet"] == "NanResult"
    assert non_finite_constant(response.content) is None


def test_a_pydantic_model_result_follows_its_own_setting(serve: Any) -> None:
    """pydantic's default for models (``ser_json_inf_nan='null'``) writes null: kept."""
    response = _post(serve(NanInModel), b"{}")
    assert response.status_code == 200 and response.json() == {"value": None}


def test_a_non_finite_streamed_item_is_an_error_frame(serve: Any) -> None:
    response = _post(serve(NanStream), b"{}")
    assert response.status_code == 200
    frames = [parse_frame(line) for line in response.content.splitlines()]
    assert [type(frame).__name__ for frame in frames] == ["DataFrame", "ErrorFrame"]
    assert all(non_finite_constant(line) is None for line in response.content.splitlines())
    error = json.loads(response.content.splitlines()[-1])["error"]
    assert error["type"] == "NonFiniteFloatError"


def test_a_call_with_nan_is_refused_before_it_is_sent(serve: Any) -> None:
    server = serve(Floats)

    async def call() -> None:
        async with DependencyClient("Floats", str(server.base_url), retries=0) as client:
            with pytest.raises(NonFiniteFloatError, match="arguments of the call to 'Floats'"):
                await client.call({"x": float("nan")})
            assert await client.call({"x": 2.5}) == 2.5

    asyncio.run(call())
    metrics = server.get("/metrics").text
    calls = [line for line in metrics.splitlines() if line.startswith("chains_requests_total{")]
    assert len(calls) == 1 and calls[0].endswith(" 1"), calls  # only the good call arrived


# -- content type ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
     "multipart/form-data; boundary=x", "application/jsonx"],
)
def test_a_call_that_is_not_json_is_415(serve: Any, content_type: str | None) -> None:
    headers = {} if content_type is None else {"content-type": content_type}
    response = serve(Counter).post("/run_remote", content=b'{"n": 1}', headers=headers)
    assert response.status_code == 415
    error = _error(response)
    assert error["type"] == "UnsupportedMediaType" and "application/json" in error["message"]


@pytest.mark.parametrize(
    "content_type", ["application/json", "Application/JSON", "application/json; charset=utf-8"]
)
def test_json_content_types_are_accepted(serve: Any, content_type: str) -> None:
    response = serve(Counter).post(
        "/run_remote", content=b'{"n": 1}', headers={"content-type": content_type}
    )
    assert response.status_code == 200 and response.json() == 2


def test_coercion_is_lax_as_in_truss(serve: Any) -> None:
    """Documented: pydantic's lax mode, so "5" is accepted for an int; "five" is not."""
    client = serve(Counter)
    assert _post(client, b'{"n": "5"}').json() == 6
    assert _post(client, b'{"n": "five"}').status_code == 422


# -- Host and CORS -------------------------------------------------------------------------


def _raw_get(url: str, path: str, host: str) -> int:
    """The status of ``GET path`` sent with exactly this Host header."""
    address = httpx.URL(url)
    with socket.create_connection((address.host, address.port or 80), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    return int(data.split(b" ", 2)[1])


def test_a_loopback_server_refuses_other_hosts(serve: Any) -> None:
    client = serve(Counter, allowed_hosts=(*LOOPBACK_NAMES, "proxy.internal"))
    url = str(client.base_url)
    port = httpx.URL(url).port
    for host in ("127.0.0.1", f"127.0.0.1:{port}", "localhost", f"[::1]:{port}", "proxy.internal"):
        assert _raw_get(url, "/healthz", host) == 200, host
    for host in ("attacker.example", f"attacker.example:{port}", "127.0.0.1.nip.io"):
        assert _raw_get(url, "/healthz", host) == 400, host
    refused = _post(client, b'{"n": 1}', host="rebound.example")
    assert refused.status_code == 400 and _error(refused)["type"] == "HostNotAllowed"


def test_cors_is_off_unless_origins_are_configured(serve: Any) -> None:
    closed = serve(Counter)
    preflight = closed.options(
        "/run_remote",
        headers={"origin": "https://app.example", "access-control-request-method": "POST"},
    )
    assert preflight.status_code == 405
    assert "access-control-allow-origin" not in preflight.headers
    answer = _post(closed, b'{"n": 1}', origin="https://app.example")
    assert "access-control-allow-origin" not in answer.headers

    opened = serve(Counter, cors_origins=("https://app.example",))
    ok = opened.options(
        "/run_remote",
        headers={"origin": "https://app.example", "access-control-request-method": "POST"},
    )
    assert ok.status_code == 204
    assert ok.headers["access-control-allow-origin"] == "https://app.example"
    assert "content-type" in ok.headers["access-control-allow-headers"]
    other = opened.options("/run_remote", headers={"origin": "https://evil.example"})
    assert other.status_code == 403 and "access-control-allow-origin" not in other.headers
    answer = _post(opened, b'{"n": 1}', origin="https://app.example")
    assert answer.json() == 2
    assert answer.headers["access-control-allow-origin"] == "https://app.example"
    assert "x-request-id" in answer.headers["access-control-expose-headers"]
    stranger = _post(opened, b'{"n": 1}', origin="https://evil.example")
    assert "access-control-allow-origin" not in stranger.headers


# -- tracebacks ------------------------------------------------------------------------------


def test_outside_callers_get_no_traceback_it_goes_to_the_log(
    serve: Any, caplog: pytest.LogCaptureFixture
) -> None:
    client = serve(Boom, service_token=TOKEN)
    with caplog.at_level(logging.ERROR, logger="chains_runtime.server.app"):
        outside = _post(client, b"{}", **{"x-request-id": "req-outside"})
    error = _error(outside)
    assert outside.status_code == 500
    assert error == {
        "type": "ValueError",
        "message": "kaput",
        "chainlet": "Boom",
        "traceback": None,
        "status": 500,
        "request_id": "req-outside",
    }
    logged = [r for r in caplog.records if "req-outside" in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    inside = _post(client, b"{}", **{SERVICE_TOKEN_HEADER: TOKEN})
    assert 'raise ValueError("kaput")' in str(_error(inside)["traceback"])


FAILING_CHAIN = """
    import chains_runtime as chains


    class Leaf(chains.ChainletBase):
        async def run_remote(self, n: int) -> int:
            raise KeyError(f"no item {n}")


    @chains.mark_entrypoint
    class Entry(chains.ChainletBase):
        def __init__(self, leaf: Leaf = chains.depends(Leaf)) -> None:
            self._leaf = leaf

        async def run_remote(self, n: int) -> int:
            return await self._leaf.run_remote(n)
"""


def test_a_chain_keeps_tracebacks_inside_and_shows_the_origin_outside(
    chainlets: ServedChainlets, tmp_path: Path
) -> None:
    chain = tmp_path / "failing_chain.py"
    chain.write_text(textwrap.dedent(FAILING_CHAIN))
    leaf = chainlets.start(f"{chain}:Leaf", {"chainlet": "Leaf", "service_token": TOKEN})
    entry = chainlets.start(
        f"{chain}:Entry",
        {
            "chainlet": "Entry",
            "is_entrypoint": True,
            "dependencies": {"Leaf": leaf.url},
            "service_token": TOKEN,
        },
    )
    response = httpx.post(
        f"{entry.url}/run_remote", json={"n": 7}, headers={"x-request-id": "req-chain"}
    )
    error = _error(response)
    assert response.status_code == 500
    assert error["chainlet"] == "Leaf" and error["type"] == "KeyError"
    assert error["traceback"] is None and error["request_id"] == "req-chain"
    entry.wait_for_line(r"dependency Leaf failed with KeyError \(request_id=req-chain\)")
    entry.wait_for_line(r'raise KeyError\(f"no item \{n\}"\)')
    leaf.wait_for_line(r"run_remote of Leaf raised KeyError \(request_id=req-chain\)")
    # A loopback-bound process answers loopback hosts only (DNS rebinding).
    assert _raw_get(entry.url, "/healthz", "localhost") == 200
    assert _raw_get(entry.url, "/healthz", "attacker.example") == 400


# -- found in review -------------------------------------------------------------------------


@dataclasses.dataclass
class Point:
    x: float
    label: str


class DataclassResult(chains.ChainletBase):
    async def run_remote(self, x: float) -> Point:
        return Point(x=x, label="p")


class Budget(chains.ChainletBase):
    async def run_remote(self) -> float | None:
        return chains.remaining_time_sec()


def test_a_dataclass_result_is_served(serve: Any) -> None:
    response = _post(serve(DataclassResult), b'{"x": 2.5}')
    assert response.status_code == 200 and response.json() == {"x": 2.5, "label": "p"}


def test_deeply_nested_input_with_the_letters_is_a_422_not_a_crash(serve: Any) -> None:
    body = b'{"x": 1, "anything": ' + b"[" * 50_000 + b'"NaN"' + b"]" * 50_000 + b"}"
    response = _post(serve(Floats), body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/json"
    constant_deep = b'{"x": 1, "anything": ' + b"[" * 50_000 + b"NaN" + b"]" * 50_000 + b"}"
    assert _post(serve(Floats), constant_deep).status_code == 422


def _read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """The bodies of the next ``count`` responses (each with a content-length)."""
    data, bodies = b"", list[bytes]()
    while len(bodies) < count:
        head_end = data.find(b"\r\n\r\n")
        if head_end >= 0:
            head = data[:head_end].lower()
            length = int(head.split(b"content-length: ", 1)[1].split(b"\r\n", 1)[0])
            end = head_end + 4 + length
            if len(data) >= end:
                bodies.append(data[head_end + 4 : end])
                data = data[end:]
                continue
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {len(bodies)} response(s)"
        data += chunk
    return bodies


def test_a_pipelined_call_does_not_inherit_the_deadline_of_the_one_before(serve: Any) -> None:
    url = httpx.URL(str(serve(Budget).base_url))
    request = (
        "POST /run_remote HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        "content-length: 2\r\n{extra}\r\n{{}}"
    )
    both = request.format(extra="x-chains-deadline-ms: 100000\r\n") + request.format(extra="")
    with socket.create_connection((url.host, url.port or 80), timeout=10) as sock:
        sock.sendall(both.encode())
        first, second = (json.loads(body) for body in _read_responses(sock, 2))
    assert isinstance(first, float) and 90 < first <= 100
    assert second is None
