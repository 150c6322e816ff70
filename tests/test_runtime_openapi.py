"""The chainlet server is a FastAPI app that publishes its contract: ``GET /openapi.json`` and
``GET /docs``, served by a real uvicorn on loopback and checked with openapi-spec-validator."""

from __future__ import annotations

import enum
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, Literal

import chains_runtime as chains
import httpx
import pydantic
import pytest
from chains_runtime.protocol import DEADLINE_HEADER, SERVICE_TOKEN_HEADER
from chains_runtime.server import ChainletFastAPI, ServerConfig, create_app
from chains_runtime.server.docs import SWAGGER_UI_ASSETS
from fastapi import FastAPI
from openapi_spec_validator import validate
from pydantic_core import core_schema

from tests.server_helpers import ROOT, ServedChainlets, ThreadedServer

ERROR_STATUSES = {"400", "408", "413", "415", "422", "431", "500", "502", "503", "504"}


class Mode(str, enum.Enum):
    FAST = "fast"
    CAREFUL = "careful"


class Document(pydantic.BaseModel):
    text: str
    mode: Mode = Mode.FAST
    note: str | None = None


class Summary(pydantic.BaseModel):
    words: int
    first: str | None


class PlainTypes(chains.ChainletBase):
    """Repeats text."""

    async def run_remote(self, text: str, times: int, ratio: float = 0.5) -> str:
        """Say `text` `times` times."""
        return text * times


class ModelsInOut(chains.ChainletBase):
    async def run_remote(self, document: Document, limit: int = 3) -> list[Summary]:
        return [Summary(words=len(document.text.split()), first=None)] * limit


class Optionals(chains.ChainletBase):
    async def run_remote(
        self,
        tags: list[str] | None = None,
        document: Document | None = None,
        level: Literal["low", "high"] = "low",
    ) -> dict[str, int]:
        return {"tags": len(tags or [])}


class Streaming(chains.ChainletBase):
    async def run_remote(self, count: int) -> AsyncIterator[Summary]:
        for index in range(count):
            yield Summary(words=index, first=None)


class ByteStreaming(chains.ChainletBase):
    async def run_remote(self, count: int) -> AsyncIterator[bytes]:
        for index in range(count):
            yield bytes([index])


class NoArguments(chains.ChainletBase):
    async def run_remote(self) -> int:
        return 7


class SyncChainlet(chains.ChainletBase):
    def run_remote(self, x: int, label: str = "x") -> dict[str, Any]:
        return {label: x}


class Unannotated(chains.ChainletBase):
    async def run_remote(self, value):  # type: ignore[no-untyped-def]
        return value


class Opaque:
    """A result type pydantic can check but not describe in JSON Schema."""


OpaqueResult = Annotated[
    Opaque, pydantic.GetPydanticSchema(lambda _, __: core_schema.is_instance_schema(Opaque))
]


class Indescribable(chains.ChainletBase):
    async def run_remote(self, x: int) -> OpaqueResult:
        return Opaque()


ALL = [
    PlainTypes,
    ModelsInOut,
    Optionals,
    Streaming,
    ByteStreaming,
    NoArguments,
    SyncChainlet,
    Unannotated,
]


@pytest.fixture(scope="module")
def documents() -> Iterator[dict[str, dict[str, Any]]]:
    """Each chainlet's /openapi.json, fetched from its running (open) server."""
    found: dict[str, dict[str, Any]] = {}
    for chainlet_cls in ALL:
        server = ThreadedServer(chainlet_cls, ServerConfig())
        try:
            response = httpx.get(f"{server.url}/openapi.json", timeout=10)
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "application/json"
            found[chainlet_cls.__name__] = response.json()
        finally:
            server.stop()
    yield found


def _operation(document: dict[str, Any]) -> dict[str, Any]:
    operation: dict[str, Any] = document["paths"]["/run_remote"]["post"]
    return operation


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _request_schema(document: dict[str, Any]) -> dict[str, Any]:
    body = _operation(document)["requestBody"]["content"]["application/json"]["schema"]
    return _resolve(document, body)


def _answer_schema(document: dict[str, Any], media_type: str = "application/json") -> Any:
    return _operation(document)["responses"]["200"]["content"][media_type]["schema"]


def test_every_chainlet_server_is_a_fastapi_app() -> None:
    app = create_app(PlainTypes, config=ServerConfig())
    assert isinstance(app, FastAPI) and isinstance(app, ChainletFastAPI)


@pytest.mark.parametrize("chainlet_cls", ALL, ids=lambda cls: cls.__name__)
def test_the_document_is_valid_openapi_3_1(
    documents: dict[str, dict[str, Any]], chainlet_cls: type[chains.ChainletBase]
) -> None:
    document = documents[chainlet_cls.__name__]
    validate(document)  # raises on an invalid document
    assert document["openapi"].startswith("3.1.")
    assert document["info"]["title"] == chainlet_cls.__name__
    assert set(document["paths"]) == {"/run_remote", "/healthz", "/readyz", "/metrics"}
    assert _operation(document)["operationId"] == "run_remote"


def test_the_request_body_has_every_parameter_with_type_default_and_required(
    documents: dict[str, dict[str, Any]],
) -> None:
    document = documents["PlainTypes"]
    assert _operation(document)["requestBody"]["required"] is True
    schema = _request_schema(document)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert schema["required"] == ["text", "times"]
    properties = schema["properties"]
    assert properties["text"]["type"] == "string"
    assert properties["times"]["type"] == "integer"
    assert properties["ratio"] == {"type": "number", "title": "Ratio", "default": 0.5}
    assert _answer_schema(document)["type"] == "string"
    assert _operation(document)["description"] == "Say `text` `times` times."
    assert document["info"]["description"] == "Repeats text."


def test_pydantic_models_in_and_out(documents: dict[str, dict[str, Any]]) -> None:
    document = documents["ModelsInOut"]
    properties = _request_schema(document)["properties"]
    model = _resolve(document, properties["document"])
    assert model["required"] == ["text"]
    assert model["properties"]["note"]["default"] is None
    mode = _resolve(document, model["properties"]["mode"])
    assert mode["enum"] == ["fast", "careful"]
    answer = _answer_schema(document)
    assert answer["type"] == "array"
    summary = _resolve(document, answer["items"])
    assert set(summary["properties"]) == {"words", "first"}
    assert summary["properties"]["words"]["type"] == "integer"


def test_defaults_and_optionals(documents: dict[str, dict[str, Any]]) -> None:
    document = documents["Optionals"]
    # Every parameter has a default: an empty body is a valid call.
    assert not _operation(document)["requestBody"].get("required", False)
    schema = _request_schema(document)
    assert "required" not in schema
    properties = schema["properties"]
    assert properties["tags"]["default"] is None  # FastAPI drops nulls; they are put back
    assert {"type": "null"} in properties["tags"]["anyOf"]
    assert properties["document"]["default"] is None
    assert properties["level"]["enum"] == ["low", "high"]
    assert properties["level"]["default"] == "low"


def test_a_streaming_answer_is_ndjson_frames_typed_by_the_item(
    documents: dict[str, dict[str, Any]],
) -> None:
    document = documents["Streaming"]
    responses = _operation(document)["responses"]
    # the same frames as MessagePack, for binary callers (docs/protocol.md, "Binary calls")
    assert set(responses["200"]["content"]) == {
        "application/x-ndjson",
        "application/x-msgpack-stream",
    }
    frame = _resolve(document, _answer_schema(document, "application/x-ndjson"))
    kinds = [_resolve(document, choice) for choice in frame["anyOf"]]
    by_key = {next(iter(kind["properties"])): kind for kind in kinds}
    assert set(by_key) == {"data", "end", "error"}
    assert by_key["data"]["required"] == ["data"]
    item = _resolve(document, by_key["data"]["properties"]["data"])
    assert item["title"] == "Summary"
    assert by_key["end"]["required"] == ["end"]
    assert by_key["end"]["properties"]["end"]["const"] is True
    error = _resolve(document, by_key["error"]["properties"]["error"])
    assert {"type", "message", "chainlet", "status"} <= set(error["required"])
    # Errors are JSON envelopes even though the success is a stream.
    for status in ERROR_STATUSES:
        assert set(responses[status]["content"]) == {"application/json"}


def test_a_bytes_stream_names_the_bytes_frame(
    documents: dict[str, dict[str, Any]],
) -> None:
    document = documents["ByteStreaming"]
    frame = _resolve(document, _answer_schema(document, "application/x-ndjson"))
    kinds = [_resolve(document, choice) for choice in frame["anyOf"]]
    by_key = {next(iter(kind["properties"])): kind for kind in kinds}
    assert set(by_key) == {"data", "bytes", "end", "error"}  # data: binary streams' bin
    assert by_key["bytes"]["required"] == ["bytes"]
    assert by_key["bytes"]["properties"]["bytes"] == {
        "type": "string",
        "pattern": "^[\\u0000-\\u00ff]*$",
        "title": "Bytes",
    }
    # A MessagePack stream has no bytes frame: a bytes item is `bin` in a data frame.
    binary = _resolve(document, _answer_schema(document, "application/x-msgpack-stream"))
    binary_kinds = [_resolve(document, choice) for choice in binary["anyOf"]]
    assert {next(iter(kind["properties"])) for kind in binary_kinds} == {"data", "end", "error"}
    assert binary_kinds[0] == by_key["data"]
    ndjson = _resolve(document, _answer_schema(document, "application/x-ndjson"))
    assert ndjson == frame  # the NDJSON form keeps it


def test_a_stream_without_bytes_shares_one_frame_schema(
    documents: dict[str, dict[str, Any]],
) -> None:
    document = documents["Streaming"]
    assert _answer_schema(document, "application/x-msgpack-stream") == _answer_schema(
        document, "application/x-ndjson"
    )


@pytest.mark.parametrize("chainlet_cls", ALL, ids=lambda cls: cls.__name__)
def test_every_error_status_answers_the_envelope(
    documents: dict[str, dict[str, Any]], chainlet_cls: type[chains.ChainletBase]
) -> None:
    document = documents[chainlet_cls.__name__]
    responses = _operation(document)["responses"]
    assert set(responses) >= ERROR_STATUSES
    assert "401" not in responses  # an open server never answers 401
    assert "400" in responses  # a bad x-chains-deadline-ms, whatever the Host check
    deadline = [p for p in _operation(document)["parameters"] if p["name"] == DEADLINE_HEADER]
    assert deadline and deadline[0]["in"] == "header" and not deadline[0]["required"]
    for status in ERROR_STATUSES:
        schema = responses[status]["content"]["application/json"]["schema"]
        envelope = _resolve(document, schema)
        assert envelope["required"] == ["error"]
        assert _resolve(document, envelope["properties"]["error"])["title"] == "ErrorDetail"
    assert "retry-after" in responses["503"]["headers"]


def test_no_arguments_and_sync_and_unannotated(documents: dict[str, dict[str, Any]]) -> None:
    no_arguments = documents["NoArguments"]
    assert _request_schema(no_arguments)["properties"] == {}
    assert not _operation(no_arguments)["requestBody"].get("required", False)
    assert _answer_schema(no_arguments)["type"] == "integer"
    sync = _request_schema(documents["SyncChainlet"])
    assert sync["required"] == ["x"] and sync["properties"]["label"]["default"] == "x"
    assert _answer_schema(documents["SyncChainlet"])["type"] == "object"
    unannotated = _request_schema(documents["Unannotated"])
    assert unannotated["required"] == ["value"]
    assert "type" not in unannotated["properties"]["value"]  # any JSON value


def _served_document(config: ServerConfig) -> tuple[dict[str, Any], httpx.Response]:
    server = ThreadedServer(PlainTypes, config)
    try:
        document = httpx.get(f"{server.url}/openapi.json", timeout=10)
        call = httpx.post(f"{server.url}/run_remote", json={"text": "a", "times": 2}, timeout=10)
    finally:
        server.stop()
    assert document.status_code == 200  # open: no token or key needed
    return document.json(), call


def test_an_internal_chainlet_documents_the_service_token() -> None:
    document, call = _served_document(
        ServerConfig(service_token="secret-token", require_service_token=True)
    )
    assert call.status_code == 401
    validate(document)
    assert _operation(document)["security"] == [{"ServiceToken": []}]
    schemes = document["components"]["securitySchemes"]
    assert schemes == {
        "ServiceToken": {
            "type": "apiKey",
            "in": "header",
            "name": SERVICE_TOKEN_HEADER,
            "description": schemes["ServiceToken"]["description"],
        }
    }
    assert "401" in _operation(document)["responses"]
    assert "secret-token" not in json.dumps(document)


def test_a_server_that_checks_the_host_documents_400_and_checks_it_on_the_docs_too() -> None:
    config = ServerConfig(allowed_hosts=("127.0.0.1", "localhost"))
    document, _ = _served_document(config)
    validate(document)
    assert "400" in _operation(document)["responses"]
    server = ThreadedServer(PlainTypes, config)
    try:
        for path in ("/openapi.json", "/docs", "/no/such/path"):
            rebound = httpx.get(f"{server.url}{path}", headers={"host": "evil.example"})
            assert rebound.status_code == 400, path
            assert rebound.json()["error"]["type"] == "HostNotAllowed"
    finally:
        server.stop()


def test_an_entrypoint_with_an_api_key_documents_both_headers() -> None:
    document, call = _served_document(ServerConfig(service_token="tok-9f3", api_key="key-123"))
    assert call.status_code == 401
    validate(document)
    # Any one of them is enough: OpenAPI's list of alternatives.
    assert _operation(document)["security"] == [
        {"ApiKey": []},
        {"ApiKeyAuthorization": []},
        {"ServiceToken": []},
    ]
    schemes = document["components"]["securitySchemes"]
    assert schemes["ApiKey"]["name"] == "x-api-key"
    assert schemes["ApiKeyAuthorization"]["name"] == "Authorization"
    assert "Api-Key" in schemes["ApiKeyAuthorization"]["description"]
    assert "key-123" not in json.dumps(document) and "tok-9f3" not in json.dumps(document)


def test_an_open_chainlet_documents_no_security() -> None:
    document, call = _served_document(ServerConfig())
    assert call.status_code == 200 and call.json() == "aa"
    assert "security" not in _operation(document)
    assert "securitySchemes" not in document.get("components", {})


_PRINT_DOCUMENT = """
import json
import sys

from chains_runtime.server import ServerConfig, create_app
from tests.test_runtime_openapi import ModelsInOut, Streaming

for cls, config in ((Streaming, ServerConfig(api_key="k", service_token="t")),
                    (ModelsInOut, ServerConfig())):
    document = create_app(cls, config=config).openapi()
    sys.stdout.write(json.dumps(document, ensure_ascii=False, allow_nan=False) + "\\n")
"""


def test_the_same_chain_gives_the_same_bytes() -> None:
    server = ThreadedServer(ModelsInOut, ServerConfig())
    try:
        first = httpx.get(f"{server.url}/openapi.json", timeout=10).content
        again = httpx.get(f"{server.url}/openapi.json", timeout=10).content
    finally:
        server.stop()
    assert first == again
    outputs = []
    for seed in ("1", "2"):  # other hash seeds: no set or dict order leaks into the document
        environ = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run(
            [sys.executable, "-c", _PRINT_DOCUMENT],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            timeout=60,
            check=True,
        )
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].splitlines()[1] == first  # the server answers exactly these bytes


def test_docs_are_served_offline_and_open() -> None:
    server = ThreadedServer(PlainTypes, ServerConfig(service_token="t", api_key="k"))
    try:
        page = httpx.get(f"{server.url}/docs", timeout=10)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "http://" not in page.text and "https://" not in page.text  # no CDN
        assert "/docs/assets/swagger-ui-bundle.js" in page.text
        assert "'/openapi.json'" in page.text
        for name in sorted(SWAGGER_UI_ASSETS):
            asset = httpx.get(f"{server.url}/docs/assets/{name}", timeout=10)
            assert asset.status_code == 200 and len(asset.content) > 100, name
        script = httpx.get(f"{server.url}/docs/assets/swagger-ui-bundle.js", timeout=10)
        assert "javascript" in script.headers["content-type"]
        assert b"SwaggerUIBundle" in script.content
        head = httpx.head(f"{server.url}/docs", timeout=10)
        assert head.status_code == 200
        # Only the files the page uses: not the distribution's demo page or source maps.
        for name in ("index.html", "swagger-ui.js.map", "..%2F__init__.py"):
            missing = httpx.get(f"{server.url}/docs/assets/{name}", timeout=10)
            assert missing.status_code == 404
            assert missing.json()["error"]["type"] == "NotFound"
    finally:
        server.stop()


def test_paths_fastapi_answers_keep_the_error_envelope() -> None:
    server = ThreadedServer(PlainTypes, ServerConfig())
    try:
        missing = httpx.get(f"{server.url}/no/such/path", timeout=10)
        assert missing.status_code == 404
        assert missing.json()["error"]["type"] == "NotFound"
        assert missing.json()["error"]["chainlet"] == "PlainTypes"
        wrong = httpx.post(f"{server.url}/openapi.json", timeout=10)
        assert wrong.status_code == 405 and wrong.headers["allow"] == "GET, HEAD"
        assert wrong.json()["error"]["type"] == "MethodNotAllowed"
        # The chainlet's own paths keep their answers, whatever the method.
        assert httpx.get(f"{server.url}/run_remote", timeout=10).headers["allow"] == "POST"
        assert httpx.get(f"{server.url}/healthz", timeout=10).json() == {"status": "alive"}
    finally:
        server.stop()


def test_api_docs_can_be_turned_off() -> None:
    server = ThreadedServer(PlainTypes, ServerConfig(api_docs=False))
    try:
        for path in ("/openapi.json", "/docs", "/docs/assets/swagger-ui-bundle.js"):
            response = httpx.get(f"{server.url}{path}", timeout=10)
            assert response.status_code == 404, path
            assert response.json()["error"]["type"] == "NotFound"
        call = httpx.post(f"{server.url}/run_remote", json={"text": "b", "times": 1}, timeout=10)
        assert call.status_code == 200 and call.json() == "b"
    finally:
        server.stop()


def test_a_served_chainlet_process_publishes_its_contract(chainlets: ServedChainlets) -> None:
    target = "tests/test_runtime_openapi.py:ModelsInOut"
    wiring = {"chainlet": "ModelsInOut", "is_entrypoint": True}
    served = chainlets.start(target, wiring)
    document = httpx.get(f"{served.url}/openapi.json", timeout=10)
    assert document.status_code == 200
    validate(document.json())
    assert document.json()["info"]["title"] == "ModelsInOut"
    assert httpx.get(f"{served.url}/docs", timeout=10).status_code == 200
    off = chainlets.start(target, wiring, env={"CHAINS_API_DOCS": "0"})
    assert httpx.get(f"{off.url}/openapi.json", timeout=10).status_code == 404
    assert httpx.get(f"{off.url}/docs", timeout=10).status_code == 404


def test_a_type_without_json_schema_gives_an_error_envelope_not_a_crash() -> None:
    server = ThreadedServer(Indescribable, ServerConfig())
    try:
        for _ in range(2):  # and keeps answering
            response = httpx.get(f"{server.url}/openapi.json", timeout=10)
            assert response.status_code == 500
            error = response.json()["error"]
            assert error["type"] == "OpenAPIError" and "JsonSchema" in error["message"]
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
    finally:
        server.stop()
