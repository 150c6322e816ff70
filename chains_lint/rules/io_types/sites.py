"""Where types travel: the annotations of a ``run_remote`` that cross the network."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from chains_lint.model.types import TypeExpr, TypeKind
from chains_lint.rules.json_safety import STREAM_HEADS, JsonSafety
from chains_lint.rules.run_remote.endpoints import Endpoint

Role = Literal["param", "return", "stream"]


@dataclass(frozen=True)
class IoSite:
    """One annotation that travels: a parameter, the return type or the streamed item."""

    endpoint: Endpoint
    role: Role
    annotation: TypeExpr
    param: str | None = None

    def describe(self, expr: TypeExpr) -> str:
        """``run_remote parameter `x` has type `T``` or ``... uses `S```, for ``expr`` in it."""
        whole = self.annotation
        if self.role == "param":
            text = f"`run_remote` parameter `{self.param}` has type `{whole.text}`"
        elif self.role == "return":
            text = f"`run_remote` returns `{whole.text}`"
        else:
            text = f"`run_remote` streams items of type `{whole.text}`"
        if not _same(expr, whole):
            text += f", which uses `{expr.text}`"
        return text


def _same(a: TypeExpr, b: TypeExpr) -> bool:
    return a is b or (a.span == b.span and a.text == b.text)


def unquoted(expr: TypeExpr) -> TypeExpr:
    if expr.kind is TypeKind.STRING and expr.inner is not None:
        return expr.inner
    return expr


def param_sites(endpoint: Endpoint) -> Iterator[IoSite]:
    """The annotated parameters of an endpoint (its request fields)."""
    for param, annotation in endpoint.typed_fields:
        yield IoSite(endpoint, "param", annotation, param.name)


def io_sites(safety: JsonSafety, endpoint: Endpoint) -> Iterator[IoSite]:
    """The annotated parameters, the return type (or the streamed item type) of an endpoint."""
    yield from param_sites(endpoint)
    returns = endpoint.function.returns
    if returns is None:
        return
    bare = unquoted(returns)
    if safety.head(bare) in STREAM_HEADS:
        if bare.kind is TypeKind.SUBSCRIPT and bare.args:
            yield IoSite(endpoint, "stream", bare.args[0])
        return  # a stream without item type: see CH204
    yield IoSite(endpoint, "return", returns)


def untyped_stream(safety: JsonSafety, endpoint: Endpoint) -> TypeExpr | None:
    """The return annotation when it is a stream type without an item type."""
    returns = endpoint.function.returns
    if returns is None:
        return None
    bare = unquoted(returns)
    if bare.kind is TypeKind.NAME and safety.head(bare) in STREAM_HEADS:
        return returns
    return None
