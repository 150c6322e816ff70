"""StubBase against a real HTTP JSON endpoint (a small Starlette app on uvicorn, loopback)."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import chains_runtime as chains
import pydantic
import pytest
from chains_runtime.client import (
    DependencyHTTPError,
    DependencyTimeoutError,
    DependencyUnavailableError,
)
from chains_runtime.errors import ChainsUsageError, MissingSecretError
from chains_runtime.protocol import ProtocolError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.server_helpers import ThreadedUvicorn

ATTEMPTS: Counter[str] = Counter()
"""Path -> requests the endpoint saw."""


async def _endpoint(request: Request) -> Response:
    kind = request.path_params["kind"]
    ATTEMPTS[request.url.path] += 1
    attempt = ATTEMPTS[request.url.path]
    body = await request.body()
    if kind == "echo":
        return JSONResponse(
            {
                "inputs": await request.json(),
                "authorization": request.headers.get("authorization"),
                "content_type": request.headers.get("content-type"),
            }
        )
    if kind == "transcribe":
        return JSONResponse({"text": "hello", "language": "en"})
    if kind == "missing":
        return PlainTextResponse("no such model", status_code=404)
    if kind == "flaky":
        if attempt == 1:
            return PlainTextResponse("warming up", status_code=503, headers={"retry-after": "0"})
        return JSONResponse({"attempt": attempt})
    if kind == "down":
        return PlainTextResponse("overloaded", status_code=503, headers={"retry-after": "0"})
    if kind == "slow":
        await asyncio.sleep(2.0)
        return JSONResponse("late")
    if kind == "text":
        return PlainTextResponse("not json")
    if kind == "stream":

        async def pieces() -> AsyncIterator[bytes]:
            for part in (b"one ", b"two ", body):
                yield part

        return StreamingResponse(pieces(), media_type="text/plain")
    return PlainTextResponse("unknown kind", status_code=400)


APP = Starlette(routes=[Route("/{kind}/{key}/predict", _endpoint, methods=["POST"])])


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadedUvicorn(APP, lifespan="off")
    try:
        yield server.url
    finally:
        server.stop()


def _url(base_url: str, kind: str) -> tuple[str, str]:
    """A URL of the endpoint unique to this call site, and its path (to count attempts)."""
    path = f"/{kind}/{uuid.uuid4().hex}/predict"
    return base_url + path, path


class Transcript(pydantic.BaseModel):
    text: str
    language: str


class Audio(pydantic.BaseModel):
    audio_b64: str


class Whisper(chains.StubBase):
    async def run_remote(self, audio_b64: str) -> Transcript:
        return await self.predict_async(Audio(audio_b64=audio_b64), output_model=Transcript)


class Echo(chains.StubBase):
    async def run_remote(self, text: str) -> Any:
        return await self.predict_async({"text": text})


def _run(stub: chains.StubBase, inputs: Any) -> Any:
    async def go() -> Any:
        try:
            return await stub.predict_async(inputs)
        finally:
            await stub.aclose()

    return asyncio.run(go())


def test_predict_async_sends_json_and_the_api_key(base_url: str) -> None:
    url, _ = _url(base_url, "echo")
    stub = Echo.from_url(url, "k-123", options=chains.RPCOptions(retries=0))
    result = _run(stub, {"text": "hi", "n": [1, 2]})
    assert result == {
        "inputs": {"text": "hi", "n": [1, 2]},
        "authorization": "Api-Key k-123",
        "content_type": "application/json",
    }
    assert stub.name == "Echo" and stub.url == url
    slash = Echo.from_url(url + "/")  # the URL is used as given (Starlette redirects it)
    with pytest.raises(DependencyHTTPError, match=f"at {url}/ answered HTTP 307"):
        _run(slash, {})


def test_pydantic_inputs_and_output_model(base_url: str) -> None:
    url, _ = _url(base_url, "transcribe")
    whisper = Whisper.from_url(url, api_key="k")

    async def go() -> Transcript:
        try:
            return await whisper.run_remote("UklGRg==")
        finally:
            await whisper.aclose()

    assert asyncio.run(go()) == Transcript(text="hello", language="en")


def test_predict_sync_from_a_thread(base_url: str) -> None:
    url, _ = _url(base_url, "echo")
    stub = Echo.from_url(url)
    try:
        results = [stub.predict_sync({"i": i}) for i in range(3)]
        typed = Whisper.from_url(_url(base_url, "transcribe")[0])
        assert typed.predict_sync({}, output_model=Transcript).language == "en"
        typed.close_sync()
    finally:
        stub.close_sync()
    assert [r["inputs"] for r in results] == [{"i": 0}, {"i": 1}, {"i": 2}]
    assert results[0]["authorization"] is None  # no key given: no header


def test_4xx_is_raised_at_once_with_url_and_status(base_url: str) -> None:
    url, path = _url(base_url, "missing")
    stub = Echo.from_url(url, options=chains.RPCOptions(retries=3))
    with pytest.raises(DependencyHTTPError) as info:
        _run(stub, {})
    assert ATTEMPTS[path] == 1
    assert info.value.status == 404
    assert str(info.value) == f"dependency 'Echo' at {url} answered HTTP 404: no such model"
    # What a served chainlet passes up the chain (the envelope's type and message):
    assert (info.value.type, info.value.message) == ("HTTP 404", f"{url} answered: no such model")


def test_503_is_retried(base_url: str) -> None:
    url, path = _url(base_url, "flaky")
    stub = Echo.from_url(url, options=chains.RPCOptions(retries=1))
    assert _run(stub, {}) == {"attempt": 2}
    assert ATTEMPTS[path] == 2


def test_503_until_the_retries_are_spent(base_url: str) -> None:
    url, path = _url(base_url, "down")
    stub = Echo.from_url(url, options=chains.RPCOptions(retries=2))
    with pytest.raises(DependencyUnavailableError) as info:
        _run(stub, {})
    assert ATTEMPTS[path] == 3
    assert url in str(info.value) and "HTTP 503 after 3 attempt(s): overloaded" in str(info.value)


def test_timeout_is_not_retried(base_url: str) -> None:
    url, path = _url(base_url, "slow")
    stub = Echo.from_url(url, options=chains.RPCOptions(retries=2, timeout_sec=0.3))
    start = time.monotonic()
    with pytest.raises(DependencyTimeoutError) as info:
        _run(stub, {})
    assert time.monotonic() - start < 30  # a hang guard: the attempts below are the check
    assert ATTEMPTS[path] == 1
    assert isinstance(info.value, TimeoutError)
    assert "'Echo'" in str(info.value) and url in str(info.value)


def test_unreachable_endpoint(base_url: str) -> None:
    stub = Echo.from_url("http://127.0.0.1:9/predict", options=chains.RPCOptions(retries=0))
    with pytest.raises(DependencyUnavailableError, match="cannot connect after 1 attempt"):
        _run(stub, {})


def test_answers_that_are_not_what_was_asked(base_url: str) -> None:
    with pytest.raises(ProtocolError, match="is not JSON"):
        _run(Echo.from_url(_url(base_url, "text")[0]), {})
    stub = Echo.from_url(_url(base_url, "echo")[0])

    async def go() -> Any:
        try:
            return await stub.predict_async({}, output_model=Transcript)
        finally:
            await stub.aclose()

    with pytest.raises(ProtocolError, match="is not a valid Transcript"):
        asyncio.run(go())


def test_predict_async_stream_yields_the_raw_body(base_url: str) -> None:
    stub = Echo.from_url(_url(base_url, "stream")[0])

    async def go() -> bytes:
        try:
            return b"".join([chunk async for chunk in await stub.predict_async_stream("x")])
        finally:
            await stub.aclose()

    assert asyncio.run(go()) == b'one two "x"'


def test_bad_configuration_is_refused_when_made() -> None:
    with pytest.raises(ChainsUsageError, match="invalid URL"):
        Echo.from_url("model-endpoint/predict")
    with pytest.raises(ChainsUsageError, match="DeploymentContext or an API key"):
        Echo.from_url("http://127.0.0.1/p", 42)  # type: ignore[arg-type]


# -- in a chainlet: the key from the context's secrets -----------------------------------

ENDPOINT: dict[str, str] = {}


class WithKey(chains.ChainletBase):
    remote_config = chains.RemoteConfig(assets=chains.Assets(secret_keys=["baseten_chain_api_key"]))

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._echo = Echo.from_url(ENDPOINT["url"], context)

    async def run_remote(self, text: str) -> Any:
        result = await self._echo.run_remote(text)
        await self._echo.aclose()
        return result


class WithoutKey(chains.ChainletBase):
    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._echo = Echo.from_url(ENDPOINT["url"], context)

    async def run_remote(self, text: str) -> Any:
        result = await self._echo.run_remote(text)
        await self._echo.aclose()
        return result


def test_a_chainlet_passes_its_api_key_secret(base_url: str) -> None:
    ENDPOINT["url"] = _url(base_url, "echo")[0]
    with chains.run_local(secrets={"baseten_chain_api_key": "s3cret"}):
        with_key = WithKey()
        without_key = WithoutKey()
    assert asyncio.run(with_key.run_remote("a"))["authorization"] == "Api-Key s3cret"
    assert asyncio.run(without_key.run_remote("b"))["authorization"] is None


def test_a_declared_key_without_a_value_is_an_error(base_url: str) -> None:
    ENDPOINT["url"] = _url(base_url, "echo")[0]
    with (
        chains.run_local(),
        pytest.raises(MissingSecretError, match="baseten_chain_api_key"),
    ):
        WithKey()
