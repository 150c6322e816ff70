"""Websocket endpoints: a ``run_remote`` whose parameter is a ``WebSocketProtocol``.

Such a chainlet serves a websocket instead of ``POST /run_remote``; the rules check its
shape (CH259) and that no chainlet depends on it (CH416), and chains-build describes it.
"""

from __future__ import annotations

from chains_lint.model.namespace import Namespace
from chains_lint.model.types import Chainlet, FunctionInfo, Param, TypeExpr, TypeKind

WEBSOCKET_PROTOCOL = "WebSocketProtocol"
"""The SDK's websocket type (an SDK symbol name)."""


def is_websocket_annotation(namespace: Namespace, annotation: TypeExpr | None) -> bool:
    if annotation is not None and annotation.kind is TypeKind.STRING:
        annotation = annotation.inner  # a quoted annotation: what it names
    if annotation is None or annotation.kind is not TypeKind.NAME:
        return False
    return namespace.sdk_symbol(annotation.qualified) == WEBSOCKET_PROTOCOL


def websocket_params(namespace: Namespace, function: FunctionInfo) -> tuple[Param, ...]:
    """The parameters of ``function`` annotated ``WebSocketProtocol``."""
    return tuple(p for p in function.params if is_websocket_annotation(namespace, p.annotation))


def is_websocket_chainlet(namespace: Namespace, chainlet: Chainlet) -> bool:
    """Whether the chainlet's ``run_remote`` (own or inherited) takes a websocket."""
    run_remote = chainlet.run_remote
    return run_remote is not None and bool(websocket_params(namespace, run_remote))
