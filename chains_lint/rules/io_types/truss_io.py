"""Mirrors the I/O type validation of ``truss_chains.framework`` on the model.

``_validate_io_type``, ``_validate_endpoint_output_types`` and
``_validate_streaming_output_type``; ``_validate_websocket_endpoint`` is CH259, a rule of
every profile (``websocket_endpoint``).
"""

from __future__ import annotations

from chains_lint.model.types import TypeExpr, TypeKind
from chains_lint.rules.io_types.sites import IoSite, param_sites, unquoted
from chains_lint.rules.io_types.truss_issues import (
    TrussCheck,
    TrussIssue,
    bare_container_issue,
    future_annotations_issue,
    issue,
    needs_model_issue,
    new_type_issue,
    string_issue,
    typing_container_issue,
    unsupported_container_issue,
)
from chains_lint.rules.io_types.truss_types import (
    TRUSS_CONTAINERS,
    TRUSS_ITERATORS,
    TRUSS_STREAM_ITEMS,
    TYPING_CONTAINERS,
    TrussTypes,
)
from chains_lint.rules.json_safety import (
    ANNOTATED,
    CONTAINER_HEADS,
    LITERAL,
    TUPLE_HEADS,
    UNION_HEADS,
    JsonSafety,
    tuple_items,
)
from chains_lint.rules.run_remote.endpoints import Endpoint


class TrussIo:
    """The rejections of ``truss_chains`` for the signature of one ``run_remote``.

    Only rejections the default rules do not already explain are produced:
    a type that is not JSON-safe (``Any``, a plain class...) is left to CH201,
    and a class the linter cannot see (which truss accepts when it is a
    pydantic model) is not guessed about.
    """

    def __init__(self, safety: JsonSafety) -> None:
        self.safety = safety
        self.types = TrussTypes(safety)

    def issues(self, endpoint: Endpoint) -> list[TrussIssue]:
        if endpoint.module.future_annotations:
            return [future_annotations_issue(endpoint)]
        found: list[TrussIssue] = []
        for site in param_sites(endpoint):
            found += self._io_type(site, site.annotation)
        returns = endpoint.function.returns
        if returns is not None:
            found += self._output(endpoint, returns)
        return found

    # -- _validate_endpoint_output_types / _validate_streaming_output_type ------

    def _output(self, endpoint: Endpoint, returns: TypeExpr) -> list[TrussIssue]:
        site = IoSite(endpoint, "return", returns)
        if returns.kind is TypeKind.STRING:
            return [string_issue(site, returns)]
        head = self.safety.head(returns)
        if head in TUPLE_HEADS:
            return self._tuple_return(site, returns, head)
        if head in TRUSS_ITERATORS:
            return self._stream(site, returns)
        return self._io_type(site, returns)

    def _tuple_return(self, site: IoSite, returns: TypeExpr, head: str) -> list[TrussIssue]:
        if returns.kind is TypeKind.NAME:
            if head == "typing.Tuple":
                return []  # truss reads a bare `typing.Tuple` as an empty tuple
            return [bare_container_issue(site, returns)]
        found: list[TrussIssue] = []
        for arg in tuple_items(returns):
            if arg.kind is TypeKind.ELLIPSIS:
                found.append(issue(
                    TrussCheck.VARIADIC_TUPLE, site, arg,
                    "truss_chains accepts only fixed-length tuples "
                    "as return types and rejects `...`; list the item types, e.g. "
                    "`tuple[int, int]`, or return a `list[...]`",
                ))
            else:
                found += self._io_type(site, arg)
        return found

    def _stream(self, site: IoSite, returns: TypeExpr) -> list[TrussIssue]:
        item = returns.args[0] if returns.kind is TypeKind.SUBSCRIPT and returns.args else None
        if item is None:
            return [issue(
                TrussCheck.STREAM_ITEM, site, returns,
                "truss_chains needs the item type of a stream; annotate it as "
                f"`{unquoted(returns).text}[str]` or `{unquoted(returns).text}[bytes]`",
            )]
        resolved = self.types.resolve_alias(item)
        if resolved.kind is TypeKind.NAME and self.safety.head(resolved) in TRUSS_STREAM_ITEMS:
            return []
        return [issue(
            TrussCheck.STREAM_ITEM, site, item,
            "truss_chains streams only `str` or `bytes` items; yield "
            "`str` (e.g. JSON text) or `bytes`, e.g. written by "
            "`truss_chains.streaming.stream_writer` for pydantic items",
        )]

    # -- _validate_io_type --------------------------------------------------------

    def _io_type(self, site: IoSite, expr: TypeExpr) -> list[TrussIssue]:
        kind = expr.kind
        if kind is TypeKind.STRING:
            return [string_issue(site, expr)]
        if kind is TypeKind.NONE:
            return []
        if kind is TypeKind.UNION:
            return self._union(site, expr, expr.args)
        alias = self.safety.alias_of(expr)
        if alias is not None:
            return self._via_alias(site, expr, alias)
        underlying = self.safety.new_type_of(expr)
        if underlying is not None:
            return [new_type_issue(site, expr, underlying)]
        head = self.safety.head(expr)
        if head is None:
            return []
        if kind is TypeKind.NAME:
            return self._io_name(site, expr, head)
        if kind is TypeKind.SUBSCRIPT:
            return self._io_subscript(site, expr, head)
        return []

    def _io_name(self, site: IoSite, expr: TypeExpr, head: str) -> list[TrussIssue]:
        if self.types.accepted(expr):
            return []
        if head in TYPING_CONTAINERS:
            return [typing_container_issue(site, expr, head)]
        if head in TRUSS_CONTAINERS or head == "builtins.tuple":
            return [bare_container_issue(site, expr)]
        if head in CONTAINER_HEADS:
            return [unsupported_container_issue(site, expr, head)]
        if self.types.needs_model(expr, head):
            return [needs_model_issue(site, expr)]
        return []

    def _io_subscript(self, site: IoSite, expr: TypeExpr, head: str) -> list[TrussIssue]:
        if head in UNION_HEADS:
            return self._union(site, expr, expr.args, optional=head == "typing.Optional")
        if head == ANNOTATED and expr.args:
            return [issue(
                TrussCheck.NEEDS_MODEL, site, expr,
                f"truss_chains does not accept `Annotated`; write `{expr.args[0].text}` "
                "directly, or keep the constraint on a field of a pydantic model",
            )]
        if head in (LITERAL, ANNOTATED):
            return [needs_model_issue(site, expr)]
        if head in TRUSS_CONTAINERS:
            return self._items(site, expr)
        if head in TYPING_CONTAINERS:
            return [typing_container_issue(site, expr, head), *self._items(site, expr)]
        if head in CONTAINER_HEADS:
            return [unsupported_container_issue(site, expr, head), *self._items(site, expr)]
        return []

    def _items(self, site: IoSite, container: TypeExpr) -> list[TrussIssue]:
        """``list``/``dict`` item types must be simple types or pydantic models."""
        found: list[TrussIssue] = []
        for arg in container.args:
            if arg.kind is TypeKind.STRING:
                found.append(string_issue(site, arg))
            elif self.types.rejected_item(arg):
                found.append(issue(
                    TrussCheck.CONTAINER_ITEM, site, arg,
                    f"truss_chains accepts only simple types (`int`, "
                    "`float`, `str`, `bool`, `bytes`, `None`) and pydantic models as item "
                    f"types of `list` and `dict`, not `{arg.text}`; wrap the nested data in a "
                    "pydantic model",
                ))
        return found

    def _via_alias(self, site: IoSite, expr: TypeExpr, alias: TypeExpr) -> list[TrussIssue]:
        inner = IoSite(site.endpoint, site.role, alias, site.param)
        subject = f"{site.describe(expr)} (an alias of `{alias.text}`)"
        return [
            TrussIssue(found.check, expr.span, subject, found.detail)
            for found in self._io_type(inner, alias)
        ]

    def _union(
        self, site: IoSite, expr: TypeExpr, members: tuple[TypeExpr, ...], *,
        optional: bool = False,
    ) -> list[TrussIssue]:
        others = [m for m in members if m.kind is not TypeKind.NONE]
        optional = optional or len(others) < len(members)
        if optional and len(others) == 1:
            hint = (
                f"use `{others[0].text}` with a default value, or move the optional value "
                "into a pydantic model field"
            )
        else:
            hint = "use one type, or a pydantic model with a field per alternative"
        found = [issue(
            TrussCheck.UNION, site, expr,
            f"truss_chains does not accept `Optional` or unions as I/O "
            f"types; {hint}",
        )]
        for member in others:
            found += self._io_type(site, member)
        return found
