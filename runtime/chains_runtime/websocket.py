"""``WebSocketProtocol``: the websocket a websocket chainlet's ``run_remote`` receives.

A chainlet whose ``run_remote`` takes one parameter annotated ``WebSocketProtocol`` serves a
websocket instead of ``POST /run_remote`` (see ``server.websocket`` and docs/protocol.md).
Its shape is truss_chains' (``framework._validate_websocket_endpoint``): the websocket is the
only parameter, the method is ``async def`` (not a generator) and returns ``None``; and such a
chainlet can only be the entrypoint, never a dependency of another chainlet.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol

from chains_runtime.errors import ChainsUsageError
from chains_runtime.model_base import endpoint_name
from chains_runtime.source_location import definition_site

_NAME = "WebSocketProtocol"


class WebSocketProtocol(Protocol):
    """The subset of starlette's (FastAPI's) ``WebSocket`` a websocket ``run_remote`` gets.

    ``receive*`` raise ``fastapi.WebSocketDisconnect`` once the client has left;
    ``iter_*`` are awaited for their iterator (``async for m in await ws.iter_text()``), as in
    truss; ``is_connected()`` may be called with or without ``await``.
    """

    headers: Mapping[str, str]

    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...

    async def receive(self) -> str | bytes: ...
    async def receive_text(self) -> str: ...
    async def receive_bytes(self) -> bytes: ...
    async def receive_json(self) -> Any: ...

    async def send_text(self, data: str) -> None: ...
    async def send_bytes(self, data: bytes) -> None: ...
    async def send_json(self, data: Any) -> None: ...

    async def iter_text(self) -> AsyncIterator[str]: ...
    async def iter_bytes(self) -> AsyncIterator[bytes]: ...
    async def iter_json(self) -> AsyncIterator[Any]: ...

    def is_connected(self) -> bool: ...


def _is_websocket_annotation(annotation: object) -> bool:
    if annotation is WebSocketProtocol:
        return True
    # Unresolved (a string annotation whose names are not importable here): by its last name.
    return isinstance(annotation, str) and annotation.rsplit(".", 1)[-1].strip() == _NAME


def websocket_parameter(chainlet_cls: type) -> str | None:
    """The name of ``run_remote``'s websocket parameter, or None for an HTTP ``run_remote``.

    Raises ``ChainsUsageError`` (naming the chainlet and the fix) for a websocket ``run_remote``
    that truss would refuse: other parameters, a return type other than ``None``, not async.
    """
    method = getattr(chainlet_cls, "run_remote", None)
    if method is None or not callable(method):
        return None
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return None
    parameters = list(signature.parameters.values())[1:]  # without self
    try:
        hints = typing.get_type_hints(method)
    except Exception:  # unresolvable forward references: the raw annotations
        hints = {p.name: p.annotation for p in parameters}
        hints["return"] = signature.return_annotation
    sockets = [p.name for p in parameters if _is_websocket_annotation(hints.get(p.name))]
    if not sockets:
        return None
    endpoint = endpoint_name(chainlet_cls)
    where = f"{definition_site(method)}`{chainlet_cls.__name__}.{endpoint}`"
    if len(parameters) > 1:
        raise ChainsUsageError(
            f"{where} takes the websocket `{sockets[0]}` and other parameters; a websocket "
            f"{endpoint} takes the websocket as its only parameter: receive the other values "
            "over the websocket"
        )
    returns = hints.get("return", inspect.Signature.empty)
    if returns not in (None, type(None), "None", inspect.Signature.empty):
        raise ChainsUsageError(
            f"{where} takes a websocket and returns `{_shown(returns)}`; a websocket "
            f"{endpoint} must return `None`: send results over the websocket"
        )
    if inspect.isasyncgenfunction(method) or not inspect.iscoroutinefunction(method):
        raise ChainsUsageError(
            f"{where} takes a websocket but is not a plain `async def`; a websocket "
            f"{endpoint} must be `async def ... -> None` (no `yield`): send over the websocket"
        )
    return sockets[0]


def is_websocket_chainlet(chainlet_cls: type) -> bool:
    """Whether ``chainlet_cls`` serves a websocket (its shape is checked: see above)."""
    return websocket_parameter(chainlet_cls) is not None


def refuse_websocket_dependency(user: type, dependency: type) -> None:
    """Raise ``ChainsUsageError`` when ``dependency`` serves a websocket: as in truss, only an
    entrypoint may (a chainlet calls its dependencies' ``run_remote`` over HTTP)."""
    if is_websocket_chainlet(dependency):
        raise ChainsUsageError(
            f"{definition_site(getattr(user, '__init__', user))}`{user.__name__}` depends on "
            f"`{dependency.__name__}`, whose run_remote takes a "
            "websocket; websocket chainlets can only be the entrypoint of a chain, not a "
            "dependency: give that chainlet an HTTP run_remote, or make it the entrypoint"
        )


def _shown(annotation: object) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")
