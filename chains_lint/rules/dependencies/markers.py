"""Recognising the ``depends()`` / ``depends_context()`` markers in parameters and calls."""

from __future__ import annotations

import libcst as cst

from chains_lint.model import sdk
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import Param
from chains_lint.model.values import dotted_name
from chains_lint.model.walk import walk
from chains_lint.rules.base import RuleContext

MARKERS = (sdk.DEPENDS, sdk.DEPENDS_CONTEXT)
# The only parameter name the framework passes the deployment context to.
CONTEXT_NAME = "context"


def marker(namespace: Namespace, param: Param) -> str | None:
    """``depends`` / ``depends_context`` when ``param`` defaults to that call."""
    call = param.default.call if param.default is not None else None
    if call is None:
        return None
    symbol = namespace.sdk_symbol(call.callee)
    return symbol if symbol in MARKERS else None


# The names early truss_chains versions gave the markers, by current name.
FORMER_MARKERS = {"provide": sdk.DEPENDS, "provide_context": sdk.DEPENDS_CONTEXT}


def former_marker(namespace: Namespace, param: Param) -> str | None:
    """``provide`` / ``provide_context`` (the markers' former names) when ``param``
    defaults to that call."""
    call = param.default.call if param.default is not None else None
    if call is None:
        return None
    symbol = namespace.sdk_symbol(call.callee)
    return symbol if symbol in FORMER_MARKERS else None


def former_marker_hint(namespace: Namespace, param: Param) -> str:
    """A sentence on the former marker name ``param`` uses, or ''."""
    former = former_marker(namespace, param)
    if former is None:
        return ""
    return (
        f" (`{former}()` is the name early truss_chains versions gave "
        f"`{FORMER_MARKERS[former]}()`; it no longer exists)"
    )


def marker_called(ctx: RuleContext, callee: str) -> str | None:
    """``depends`` / ``depends_context`` when ``callee`` (as written in the linted module)
    names that marker."""
    symbol = ctx.model.namespace.sdk_symbol(ctx.module.qualify(callee))
    return symbol if symbol in MARKERS else None


def contains_marker_call(ctx: RuleContext, node: cst.CSTNode) -> bool:
    """True when ``node`` is or contains a call of either marker."""
    for inner in walk(node):
        if isinstance(inner, cst.Call):
            callee = dotted_name(inner.func)
            if callee is not None and marker_called(ctx, callee) is not None:
                return True
    return False
