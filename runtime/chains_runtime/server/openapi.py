"""The chainlet's contract as OpenAPI routes: ``/run_remote`` and the operational endpoints.

``add_contract_routes`` registers them on a FastAPI app with the models FastAPI publishes in
``/openapi.json``: the request body is the model ``RunRemoteSpec`` validates with (every
parameter with its type, default and whether it is required), the answer is the return type, or
for a streaming ``run_remote`` the NDJSON frames (``{"data": item}`` typed by the yielded item,
``{"bytes": "..."}`` where an item may be ``bytes``, ``{"end": true}``, ``{"error": ...}``),
every error status answers the error envelope, and the service token / API key are security
schemes where the server checks them.

These routes only describe: ``ChainletFastAPI`` hands their requests to ``ChainletApp`` before
FastAPI routes anything, so their endpoints are never called.
"""

from __future__ import annotations

import collections.abc
import inspect
import types
import typing
from typing import Any, Final, Literal

import pydantic
from fastapi import Body, FastAPI, Security
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import APIKeyHeader
from pydantic.json_schema import GenerateJsonSchema

from chains_runtime import protocol
from chains_runtime.chainlet import ChainletBase
from chains_runtime.contract import LIVENESS_PATH, READINESS_PATH
from chains_runtime.model_base import endpoint_name
from chains_runtime.protocol import (
    DEADLINE_HEADER,
    JSON_CONTENT_TYPE,
    MSGPACK_CONTENT_TYPE,
    MSGPACK_STREAM_CONTENT_TYPE,
    REQUEST_ID_HEADER,
    RETRY_AFTER_HEADER,
    RUN_REMOTE_PATH,
    SERVICE_TOKEN_HEADER,
    STREAM_CONTENT_TYPE,
    ErrorEnvelope,
)
from chains_runtime.server.annotations import run_remote_hints
from chains_runtime.server.auth import API_KEY_HEADER
from chains_runtime.server.config import ServerConfig
from chains_runtime.server.metrics import METRICS_CONTENT_TYPE
from chains_runtime.server.signature import RunRemoteSpec

OPERATIONAL_PATHS: Final = (LIVENESS_PATH, READINESS_PATH, "/metrics")
CHAINLET_TAG: Final = "chainlet"
OPERATIONAL_TAG: Final = "operational"

_ERROR_STATUSES: Final = {
    400: "A bad `x-chains-deadline-ms` value, or a `Host` this server does not answer for.",
    401: "Missing or invalid service token or API key.",
    408: "The request head or body did not arrive in time.",
    413: "The request body is over the size limit.",
    415: "The request's content type is neither `application/json` nor MessagePack "
    "(`application/x-msgpack`, or truss's `application/octet-stream`).",
    431: "The request head is over the size limit (sent before the app; the connection closes).",
    422: "The arguments do not match `{endpoint}` (the envelope's message names the field).",
    500: "`{endpoint}` raised; the envelope names the chainlet where the error was raised.",
    502: "A dependency could not be reached, or answered something that is not a chain envelope.",
    503: "Not ready, overloaded (queue full) or shutting down; retry after `retry-after`.",
    504: "A dependency, or this call, ran past its time limit.",
}
_RETRY_AFTER: Final = {
    RETRY_AFTER_HEADER: {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    }
}
_REQUEST_ID_PARAMETER: Final = {
    "name": REQUEST_ID_HEADER,
    "in": "header",
    "required": False,
    "description": "Request id carried along the chain (1 to 128 visible ASCII characters; "
    "another value is replaced by a fresh id). Echoed in every response.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 128},
}
_DEADLINE_PARAMETER: Final = {
    "name": DEADLINE_HEADER,
    "in": "header",
    "required": False,
    "description": "The caller's remaining time budget in whole milliseconds (1 to 10 digits; "
    "0 is answered 504 at once). The call is cancelled and answered 504 `DeadlineExceeded` "
    "past it, or past the chainlet's own `run_remote_timeout_sec` if that is sooner.",
    "schema": {"type": "string", "pattern": "^[0-9]{1,10}$"},
}
_REQUEST_ID_RESPONSE_HEADER: Final = {
    REQUEST_ID_HEADER: {"description": "The request id.", "schema": {"type": "string"}}
}

SERVICE_TOKEN_SCHEME = APIKeyHeader(
    name=SERVICE_TOKEN_HEADER,
    scheme_name="ServiceToken",
    description="The internal token chainlets use to call each other.",
    auto_error=False,
)
API_KEY_SCHEME = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="ApiKey",
    description="The entrypoint's API key.",
    auto_error=False,
)
API_KEY_AUTHORIZATION_SCHEME = APIKeyHeader(
    name="Authorization",
    scheme_name="ApiKeyAuthorization",
    description="The entrypoint's API key as `Api-Key <key>`.",
    auto_error=False,
)


class EndFrame(protocol.EndFrame):
    """The last frame of a stream that completed: exactly `{"end":true}`."""

    model_config = pydantic.ConfigDict(json_schema_serialization_defaults_required=True)


class BytesFrame(pydantic.BaseModel):
    """One streamed `bytes` item in an NDJSON stream: one character per byte, U+0000 to U+00FF
    (the bytes decoded as ISO-8859-1). A binary stream sends it in a data frame, as `bin`."""

    model_config = pydantic.ConfigDict(frozen=True)

    bytes_: str = pydantic.Field(alias=protocol.BYTES_FRAME_KEY, pattern="^[\\u0000-\\u00ff]*$")


class StatusBody(pydantic.BaseModel):
    """The answer of `/healthz` and `/readyz`."""

    status: Literal["alive", "ready", "not ready", "failed", "draining"]


class NDJSONStream(JSONResponse):
    """Only names the media type of a streamed answer in the schema (never sent)."""

    media_type = STREAM_CONTENT_TYPE


class MetricsText(PlainTextResponse):
    """Only names the media type of ``/metrics`` in the schema (never sent)."""

    media_type = METRICS_CONTENT_TYPE


def _type_hints(chainlet_cls: type[ChainletBase]) -> dict[str, Any]:
    """As ``RunRemoteSpec`` resolves them: an unresolvable annotation is an error."""
    return run_remote_hints(
        chainlet_cls.__name__,
        chainlet_cls.run_remote,  # type: ignore[attr-defined]
        endpoint_name(chainlet_cls),
    )


def result_type(chainlet_cls: type[ChainletBase]) -> Any:
    """What a non-streaming ``run_remote`` answers (``Any`` when not annotated)."""
    returns = _type_hints(chainlet_cls).get("return", Any)
    if typing.get_origin(returns) in (collections.abc.Awaitable, collections.abc.Coroutine):
        returns = typing.get_args(returns)[-1]
    return returns


def item_type(chainlet_cls: type[ChainletBase]) -> Any:
    """What a streaming ``run_remote`` yields (``Any`` when not annotated)."""
    returns = _type_hints(chainlet_cls).get("return", Any)
    iterators = (
        collections.abc.AsyncIterator,
        collections.abc.AsyncIterable,
        collections.abc.AsyncGenerator,
    )
    if typing.get_origin(returns) in iterators and typing.get_args(returns):
        return typing.get_args(returns)[0]
    return Any


def stream_frame_model(chainlet_cls: type[ChainletBase]) -> type[pydantic.RootModel[Any]]:
    """One line of the NDJSON answer: a data frame of the item type, the end or an error."""
    name = chainlet_cls.__name__
    data_frame = pydantic.create_model(
        f"{name}DataFrame",
        __base__=protocol.DataFrame,
        __doc__="One streamed item.",
        data=(item_type(chainlet_cls), ...),
    )
    frame: Any = data_frame | EndFrame | protocol.ErrorFrame
    if _may_be_bytes(item_type(chainlet_cls)):
        frame = data_frame | BytesFrame | EndFrame | protocol.ErrorFrame
    model: type[pydantic.RootModel[Any]] = pydantic.create_model(
        f"{name}StreamFrame", __base__=pydantic.RootModel[frame]
    )
    return model


def _may_be_bytes(annotation: Any) -> bool:
    """Whether an item of this type may be ``bytes`` (and then sent as a bytes frame)."""
    if annotation is Any or annotation is bytes or annotation is bytearray:
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return _may_be_bytes(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(_may_be_bytes(member) for member in typing.get_args(annotation))
    return False


def security_schemes(config: ServerConfig) -> list[APIKeyHeader]:
    """The credentials the server accepts on ``/run_remote`` (any one of them); none when
    it checks none."""
    if not config.require_service_token and config.api_key is None:
        return []
    schemes = []
    if config.api_key is not None:
        schemes += [API_KEY_SCHEME, API_KEY_AUTHORIZATION_SCHEME]
    if config.service_token:
        schemes.append(SERVICE_TOKEN_SCHEME)
    return schemes


def finish_document(
    document: dict[str, Any], chainlet_cls: type[ChainletBase], spec: RunRemoteSpec
) -> None:
    """What FastAPI's document gets wrong for a chainlet, set right in place.

    - FastAPI drops every ``None`` from the document, ``"default": null`` included: put back
      the null defaults of the request and answer models' fields.
    - Errors answer a JSON envelope even where the success is an NDJSON stream.
    """
    answer = stream_frame_model(chainlet_cls) if spec.is_stream else result_type(chainlet_cls)
    inputs: list[Any] = [
        ("request", "validation", pydantic.TypeAdapter(spec.request_model).core_schema),
        ("answer", "serialization", pydantic.TypeAdapter(answer).core_schema),
    ]
    generator = GenerateJsonSchema(ref_template="#/components/schemas/{model}")
    _, definitions = generator.generate_definitions(inputs)
    schemas = document.get("components", {}).get("schemas", {})
    for name, definition in definitions.items():
        properties = schemas.get(name, {}).get("properties", {})
        for field, schema in definition.get("properties", {}).items():
            if schema.get("default", ...) is None and field in properties:
                properties[field].setdefault("default", None)
    responses = document["paths"][RUN_REMOTE_PATH]["post"]["responses"]
    for status, response in responses.items():
        content = response.get("content", {})
        if status.isdigit() and int(status) >= 400 and STREAM_CONTENT_TYPE in content:
            response["content"] = {JSON_CONTENT_TYPE: content[STREAM_CONTENT_TYPE]}
    operation = document["paths"][RUN_REMOTE_PATH]["post"]
    _add_binary_forms(operation, spec.is_stream, endpoint_name(chainlet_cls))
    if spec.is_stream:
        _drop_binary_bytes_frame(operation, schemas)


_BINARY_REQUEST: Final = (
    "The `{endpoint}` arguments by name, as a JSON object or, with `content-type: "
    f"{MSGPACK_CONTENT_TYPE}`, a MessagePack map of the same values (`bytes` as `bin`, numpy "
    "arrays as msgpack_numpy's map of raw bytes instead of base64). The answer is MessagePack "
    f"when `accept` asks for it ({MSGPACK_CONTENT_TYPE}, or {MSGPACK_STREAM_CONTENT_TYPE} for "
    "a stream: each frame a 4-byte big-endian length and one MessagePack map), else in the "
    "request's format. Errors are always the JSON envelope."
)


def _add_binary_forms(operation: dict[str, Any], is_stream: bool, endpoint: str) -> None:
    """The MessagePack forms of the request and of the success: the same schemas."""
    body = operation.get("requestBody")
    if body is not None and JSON_CONTENT_TYPE in body.get("content", {}):
        body["content"][MSGPACK_CONTENT_TYPE] = body["content"][JSON_CONTENT_TYPE]
        body["description"] = _BINARY_REQUEST.format(endpoint=endpoint)
    success = operation["responses"].get("200", {}).get("content", {})
    source, target = (
        (STREAM_CONTENT_TYPE, MSGPACK_STREAM_CONTENT_TYPE)
        if is_stream
        else (JSON_CONTENT_TYPE, MSGPACK_CONTENT_TYPE)
    )
    if source in success:
        success[target] = success[source]


def _drop_binary_bytes_frame(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """A MessagePack stream has no bytes frame (a ``bytes`` item is ``bin`` in a data frame):
    where the NDJSON frame lists one, the binary stream gets a frame schema without it."""
    content = operation["responses"].get("200", {}).get("content", {})
    binary = content.get(MSGPACK_STREAM_CONTENT_TYPE)
    reference = (binary or {}).get("schema", {}).get("$ref", "")
    name = reference.rsplit("/", 1)[-1]
    frame = schemas.get(name)
    if binary is None or frame is None or "anyOf" not in frame:
        return

    def is_bytes_frame(choice: dict[str, Any]) -> bool:
        kind = schemas.get(choice.get("$ref", "").rsplit("/", 1)[-1], {})
        return bool(kind.get("required") == [protocol.BYTES_FRAME_KEY])

    choices = [choice for choice in frame["anyOf"] if not is_bytes_frame(choice)]
    if len(choices) == len(frame["anyOf"]):
        return
    binary_name = f"{name.removesuffix('StreamFrame')}BinaryStreamFrame"
    schemas[binary_name] = {
        **frame,
        "anyOf": choices,
        "title": binary_name,
        "description": "One frame of a MessagePack stream: a `bytes` item is `bin` in a data "
        "frame.",
    }
    # A copy: the binary and the NDJSON forms share one object (``_add_binary_forms``).
    content[MSGPACK_STREAM_CONTENT_TYPE] = {
        **binary,
        "schema": {"$ref": f"#/components/schemas/{binary_name}"},
    }


def _describe_only() -> None:
    raise RuntimeError("ChainletFastAPI serves this path before FastAPI's routing")


def _run_remote_endpoint(request_model: type[pydantic.BaseModel], required: bool) -> Any:
    """An endpoint whose signature FastAPI reads for the request body (it is never called)."""

    def run_remote(**_: Any) -> None:
        _describe_only()

    body = Body(...) if required else Body(None)
    parameter = inspect.Parameter(
        "arguments", inspect.Parameter.KEYWORD_ONLY, default=body, annotation=request_model
    )
    run_remote.__signature__ = inspect.Signature([parameter])  # type: ignore[attr-defined]
    return run_remote


def add_contract_routes(
    app: FastAPI, chainlet_cls: type[ChainletBase], spec: RunRemoteSpec, config: ServerConfig
) -> None:
    schemes = security_schemes(config)
    endpoint = endpoint_name(chainlet_cls)
    errors: dict[int | str, dict[str, Any]] = {
        status: {
            "model": ErrorEnvelope,
            "description": description.format(endpoint=endpoint),
        }
        for status, description in _ERROR_STATUSES.items()
        if status != 401 or schemes
    }
    errors[503]["headers"] = _RETRY_AFTER
    request_model = spec.request_model
    required = any(field.is_required() for field in request_model.model_fields.values())
    route: dict[str, Any]
    if spec.is_stream:
        route = {
            "response_model": stream_frame_model(chainlet_cls),
            "response_class": NDJSONStream,
            "response_description": 'One JSON frame per line: `{"data": item}` for each item '
            '(`{"bytes": "..."}`, one character per byte, for a `bytes` item), then '
            '`{"end":true}`; a failure midway ends with `{"error": {...}}` instead. A body '
            "without the end frame is a failed stream.",
        }
    else:
        route = {
            "response_model": result_type(chainlet_cls),
            "response_description": f"The JSON-encoded return value of `{endpoint}`.",
        }
    app.add_api_route(
        RUN_REMOTE_PATH,
        _run_remote_endpoint(request_model, required),
        methods=["POST"],
        operation_id="run_remote",
        summary=f"Call {chainlet_cls.__name__}.{endpoint}",
        description=inspect.cleandoc(chainlet_cls.run_remote.__doc__ or "")  # type: ignore[attr-defined]
        or f"The `{endpoint}` arguments by name; omitted arguments take their defaults.",
        tags=[CHAINLET_TAG],
        responses=errors,
        dependencies=[Security(scheme) for scheme in schemes],
        openapi_extra={
            "parameters": [_REQUEST_ID_PARAMETER, _DEADLINE_PARAMETER],
            "responses": {"200": {"headers": _REQUEST_ID_RESPONSE_HEADER}},
        },
        **route,
    )
    app.add_api_route(
        LIVENESS_PATH,
        _describe_only,
        methods=["GET"],
        operation_id="healthz",
        summary="Liveness: 200 while the process serves HTTP",
        tags=[OPERATIONAL_TAG],
        response_model=StatusBody,
    )
    app.add_api_route(
        READINESS_PATH,
        _describe_only,
        methods=["GET"],
        operation_id="readyz",
        summary="Readiness: 200 once __init__ succeeded (and is_healthy() says so)",
        tags=[OPERATIONAL_TAG],
        response_model=StatusBody,
        responses={503: {"model": StatusBody, "description": "Not ready, failed or draining."}},
    )
    app.add_api_route(
        "/metrics",
        _describe_only,
        methods=["GET"],
        operation_id="metrics",
        summary="Prometheus metrics (text format 0.0.4)",
        tags=[OPERATIONAL_TAG],
        response_class=MetricsText,
    )
