"""The request model and result encoder of ``run_remote``, derived once from its signature."""

from __future__ import annotations

import collections.abc
import inspect
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import pydantic
import pydantic_core

from chains_runtime.chainlet import ChainletBase
from chains_runtime.errors import ChainsUsageError
from chains_runtime.finite_json import ensure_finite
from chains_runtime.model_base import endpoint_name, endpoint_path
from chains_runtime.server.annotations import run_remote_hints
from chains_runtime.websocket import websocket_parameter


@dataclass(frozen=True)
class RunRemoteSpec:
    """What the server knows about ``run_remote``: built at start-up, used per request."""

    request_model: type[pydantic.BaseModel]
    is_async: bool
    is_stream: bool
    encode_result: Callable[[Any], bytes]
    websocket: str | None = None
    """The websocket parameter of a websocket ``run_remote`` (served at ``/websocket``)."""

    @classmethod
    def from_chainlet(cls, chainlet_cls: type[ChainletBase]) -> RunRemoteSpec:
        method = getattr(chainlet_cls, "run_remote", None)
        if method is None or not callable(method):
            raise ChainsUsageError(f"chainlet `{chainlet_cls.__name__}` has no `run_remote`")
        endpoint = endpoint_name(chainlet_cls)
        result = f"the result of {endpoint}"
        websocket = websocket_parameter(chainlet_cls)
        if websocket is not None:
            return cls(
                request_model=_http_call_refused(chainlet_cls, endpoint),
                is_async=True,
                is_stream=False,
                encode_result=_untyped_encoder(result),
                websocket=websocket,
            )
        hints = run_remote_hints(chainlet_cls.__name__, method, endpoint)
        qualified = f"{chainlet_cls.__name__}.{endpoint}"
        fields: dict[str, Any] = {}
        for index, (name, parameter) in enumerate(inspect.signature(method).parameters.items()):
            if index == 0:  # self
                continue
            if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                raise ChainsUsageError(
                    f"`{qualified}` takes *args/**kwargs; a served {endpoint} needs named "
                    "parameters"
                )
            if parameter.kind is parameter.POSITIONAL_ONLY:
                raise ChainsUsageError(f"`{qualified}` parameter `{name}` is positional-only")
            annotation = hints.get(name, Any)
            default = ... if parameter.default is parameter.empty else parameter.default
            fields[name] = (annotation, default)
        model = pydantic.create_model(
            f"{chainlet_cls.__name__}RunRemoteArgs",
            # Lax, as truss; but "nan", "inf" and 1e999 are no float a JSON caller can mean.
            __config__=pydantic.ConfigDict(extra="forbid", allow_inf_nan=False),
            **fields,
        )
        is_stream = inspect.isasyncgenfunction(method)
        returns = hints.get("return", inspect.Signature.empty)
        return cls(
            request_model=model,
            is_async=is_stream or inspect.iscoroutinefunction(method),
            is_stream=is_stream,
            encode_result=_result_encoder(returns, is_stream, result),
        )


def _http_call_refused(chainlet_cls: type[ChainletBase], endpoint: str) -> type[pydantic.BaseModel]:
    """The request model of a websocket ``run_remote``: every HTTP call is a 422 that says
    where the websocket is."""
    chainlet = chainlet_cls.__name__
    message = (
        f"`{chainlet}.{endpoint}` takes a websocket: connect a websocket client to "
        f"/websocket instead of calling POST {endpoint_path(chainlet_cls)}"
    )

    class WebSocketOnly(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(
            extra="forbid",
            title=f"{chainlet}WebSocketOnly",
            json_schema_extra={"description": message + "; every call is refused with 422"},
        )

        @pydantic.model_validator(mode="before")
        @classmethod
        def refuse(cls, _: Any) -> Any:
            raise ValueError(message)

    WebSocketOnly.__name__ = f"{chainlet}WebSocketOnly"
    return WebSocketOnly


def _result_encoder(returns: Any, is_stream: bool, what: str) -> Callable[[Any], bytes]:
    """Encodes a result as JSON; a NaN or infinite float raises ``NonFiniteFloatError``
    naming ``what`` (``the result of run_remote``).

    A result that is a pydantic model, dataclass or TypedDict follows its own
    ``ser_json_inf_nan`` (pydantic's default writes ``null``); everywhere else such a float is
    an error, never ``null`` or ``NaN``.
    """
    if is_stream or returns is inspect.Signature.empty or returns is Any:
        return _untyped_encoder(what)
    origin = typing.get_origin(returns)
    if origin in (collections.abc.Awaitable, collections.abc.Coroutine):
        returns = typing.get_args(returns)[-1]
    try:  # keep non-finite floats visible, so the check below can refuse them
        adapter: pydantic.TypeAdapter[Any] = pydantic.TypeAdapter(
            returns, config=_KEEP_NON_FINITE
        )
    except pydantic.PydanticUserError:  # a model, dataclass or TypedDict: its own config rules
        adapter = pydantic.TypeAdapter(returns)
    dump_json = adapter.dump_json

    def encode(result: Any) -> bytes:
        encoded = dump_json(result)
        if b"NaN" in encoded or b"Infinity" in encoded:  # rare: the full check
            ensure_finite(encoded, what)
        return encoded

    return encode


_KEEP_NON_FINITE: Final = pydantic.ConfigDict(ser_json_inf_nan="constants")


def _untyped_encoder(what: str) -> Callable[[Any], bytes]:
    to_json = pydantic_core.to_json

    def encode(result: Any) -> bytes:
        return ensure_finite(to_json(result), what)

    return encode
