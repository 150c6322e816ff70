"""CH201-CH259: whether the types in a ``run_remote`` signature can travel between chainlets.

Arguments and results of ``run_remote`` cross the network as JSON, through
pydantic. The default rules (CH201-CH205) ask :mod:`json_safety` whether each
parameter type, the return type and the type of streamed items can make that
trip. The truss rules (CH250-CH259) report what ``truss_chains`` rejects on top,
mirroring ``truss_chains.framework``: ``_validate_io_type``,
``_validate_endpoint_output_types``, ``_validate_streaming_output_type`` and
``_validate_websocket_endpoint``.

The shape of ``run_remote`` (missing annotations, ``yield`` without a stream
type, ``AsyncGenerator`` in truss...) is for the CH1xx rules; a ``run_remote``
inherited from a file that is not linted is reported at the subclass, as they do.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import ClassVar, Literal

from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.model.types import TypeExpr, TypeKind
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.json_safety import (
    ANNOTATED,
    CONTAINER_HEADS,
    LITERAL,
    SAFE_PYDANTIC,
    SAFE_STDLIB,
    STREAM_HEADS,
    TUPLE_HEADS,
    UNION_HEADS,
    ClassKind,
    Finding,
    JsonSafety,
    Problem,
)
from chains_lint.rules.run_remote import Endpoint, endpoints

Role = Literal["param", "return", "stream"]


# ---------------------------------------------------------------------------
# Where types appear: the I/O sites of a run_remote
# ---------------------------------------------------------------------------


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


def _unquoted(expr: TypeExpr) -> TypeExpr:
    if expr.kind is TypeKind.STRING and expr.inner is not None:
        return expr.inner
    return expr


def io_sites(safety: JsonSafety, endpoint: Endpoint) -> Iterator[IoSite]:
    """The annotated parameters, the return type (or the streamed item type) of an endpoint."""
    for param in endpoint.wire_params:
        if param.annotation is not None and param.kind not in ("var_positional", "var_keyword"):
            yield IoSite(endpoint, "param", param.annotation, param.name)
    returns = endpoint.function.returns
    if returns is None:
        return
    unquoted = _unquoted(returns)
    if safety.head(unquoted) in STREAM_HEADS:
        if unquoted.kind is TypeKind.SUBSCRIPT and unquoted.args:
            yield IoSite(endpoint, "stream", unquoted.args[0])
        return  # a stream without item type: see CH204
    yield IoSite(endpoint, "return", returns)


def untyped_stream(safety: JsonSafety, endpoint: Endpoint) -> TypeExpr | None:
    """The return annotation when it is a stream type without an item type."""
    returns = endpoint.function.returns
    if returns is None:
        return None
    unquoted = _unquoted(returns)
    if unquoted.kind is TypeKind.NAME and safety.head(unquoted) in STREAM_HEADS:
        return returns
    return None


def _report(
    rule: Rule, endpoint: Endpoint, span: Span, message: str, related: Iterable[Span] = ()
) -> Diagnostic:
    """A diagnostic at ``span``, or at the subclass when ``run_remote`` is inherited unlinted."""
    base = endpoint.inherited_from
    if base is None:
        return rule.diagnostic(span, message, related)
    chainlet = endpoint.chainlet
    where = f"{endpoint.module.display_path}:{span.line}"
    return rule.diagnostic(
        chainlet.cls.span,
        f"`{chainlet.name}` inherits `run_remote` from `{base.name}` ({where}): {message}",
        (span, *related),
    )


# ---------------------------------------------------------------------------
# Default profile: JSON safety (CH201-CH205)
# ---------------------------------------------------------------------------


class _JsonSafetyRule(Rule):
    """Reports the findings of one kind of problem for every I/O site."""

    problem: ClassVar[Problem]

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        safety = JsonSafety(ctx.model.namespace)
        seen: set[tuple[Span, str]] = set()
        for endpoint in endpoints(ctx):
            for diagnostic in self._endpoint(safety, endpoint):
                key = (diagnostic.span, diagnostic.message)
                if key not in seen:
                    seen.add(key)
                    yield diagnostic

    def _endpoint(self, safety: JsonSafety, endpoint: Endpoint) -> Iterator[Diagnostic]:
        for site in io_sites(safety, endpoint):
            classification = safety.classify(site.annotation, allow_websocket=site.role == "param")
            for finding in classification.findings:
                if finding.problem is self.problem:
                    message = _message(site, finding)
                    yield _report(self, endpoint, finding.expr.span, message, _related(finding))


def _message(site: IoSite, finding: Finding) -> str:
    text = site.describe(finding.expr)
    if finding.via:
        path = " → ".join(step.label for step in finding.via)
        text += f" (through {path}: `{finding.culprit.text}`)"
    return f"{text}: {finding.reason}; {finding.fix}"


def _related(finding: Finding) -> tuple[Span, ...]:
    if not finding.via:
        return ()
    return (*(step.span for step in finding.via), finding.culprit.span)


class IoTypeNotJson(_JsonSafetyRule):
    code = "CH201"
    name = "io-type-not-json"
    problem = Problem.NOT_JSON
    summary = (
        "Reports a `run_remote` parameter, return or stream item type that pydantic cannot "
        "carry as JSON (`Any`, numpy arrays, plain classes, callables...), also inside "
        "pydantic models."
    )
    why = """
Arguments and results of `run_remote` cross the network as JSON, through a
pydantic model built from the signature. A type pydantic cannot write as JSON
and read back (a plain class, a numpy array, `Any` holding such a value, an
iterator, a secret that serialises as `**********`) fails when the chain runs,
or silently loses data. The message says which part of the annotation, or
which field of which model, is the problem.
"""
    fix = """
Use JSON types: `str`, `int`, `float`, `bool`, lists, tuples, dicts with
string keys, enums and pydantic models defined in your code. Send arrays as
`list[float]` or base64 strings.
"""
    bad = """
import numpy as np
import pydantic

import truss_chains as chains


class Query(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
    embedding: np.ndarray


class Search(chains.ChainletBase):
    async def run_remote(self, query: Query) -> list[str]:
        return []
"""
    good = """
import pydantic

import truss_chains as chains


class Query(pydantic.BaseModel):
    embedding: list[float]


class Search(chains.ChainletBase):
    async def run_remote(self, query: Query) -> list[str]:
        return []
"""


class IoTypeUnverifiable(_JsonSafetyRule):
    code = "CH202"
    name = "io-type-unverifiable"
    severity = Severity.WARNING
    problem = Problem.UNKNOWN
    summary = (
        "Reports a `run_remote` I/O type whose definition the linter cannot see (a class "
        "from a third-party package, an unresolved name), so it cannot check it is JSON-safe."
    )
    why = """
The linter checks only types defined in the analysed files and the types it
knows. A class imported from an installed package may or may not be a pydantic
model; if it is not, the chain fails when it sends or receives the value.
"""
    fix = """
Declare the data as a pydantic model in your own code (copying the fields you
need), or, when the type is a pydantic model, suppress the warning with
`# noqa: CH202`.
"""
    bad = """
import transformers

import truss_chains as chains


class Generate(chains.ChainletBase):
    async def run_remote(self, config: transformers.GenerationConfig) -> str:
        return ""
"""
    good = """
import pydantic

import truss_chains as chains


class GenerationConfig(pydantic.BaseModel):
    max_new_tokens: int = 64
    temperature: float = 1.0


class Generate(chains.ChainletBase):
    async def run_remote(self, config: GenerationConfig) -> str:
        return ""
"""


class IoBytesInModel(_JsonSafetyRule):
    code = "CH203"
    name = "io-bytes-in-model"
    severity = Severity.WARNING
    problem = Problem.BYTES
    summary = (
        "Reports a `bytes` field inside a pydantic model used by `run_remote`, which pydantic "
        "writes to JSON as UTF-8 text."
    )
    why = """
`bytes` directly in the `run_remote` signature travels as base64. Inside your
own pydantic model, the model's config decides, and pydantic's default writes
bytes as UTF-8 text: binary data (images, audio) fails to serialise.
"""
    fix = """
Annotate the field as `pydantic.Base64Bytes`, or set
`model_config = pydantic.ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")`
on the model.
"""
    bad = """
import pydantic

import truss_chains as chains


class Upload(pydantic.BaseModel):
    name: str
    data: bytes


class Store(chains.ChainletBase):
    async def run_remote(self, upload: Upload) -> int:
        return len(upload.data)
"""
    good = """
import pydantic

import truss_chains as chains


class Upload(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")
    name: str
    data: bytes


class Store(chains.ChainletBase):
    async def run_remote(self, upload: Upload) -> int:
        return len(upload.data)
"""


class IoTypeUntyped(_JsonSafetyRule):
    code = "CH204"
    name = "io-type-untyped"
    severity = Severity.WARNING
    problem = Problem.UNTYPED
    summary = (
        "Reports a container without item types (`list`, `dict`, `tuple`...) or a stream "
        "type without item type in a `run_remote` signature."
    )
    why = """
pydantic accepts a bare `list` or `dict` with anything in it, so nothing checks
that the items can be written as JSON: a result holding, say, a numpy array
fails only at run time. Callers and generated clients also lose the item types.
"""
    fix = "Give the item types, e.g. `list[str]`, `dict[str, float]`, `AsyncIterator[str]`."
    bad = """
import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> list:
        return text.split()
"""
    good = """
import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> list[str]:
        return text.split()
"""

    def _endpoint(self, safety: JsonSafety, endpoint: Endpoint) -> Iterator[Diagnostic]:
        yield from super()._endpoint(safety, endpoint)
        stream = untyped_stream(safety, endpoint)
        if stream is not None:
            yield _report(
                self, endpoint, stream.span,
                f"`run_remote` streams `{stream.text}` without an item type, so nothing checks "
                f"what it yields; give the item type, e.g. `{_unquoted(stream).text}[str]`",
            )


class IoClassNotTopLevel(_JsonSafetyRule):
    code = "CH205"
    name = "io-class-not-top-level"
    problem = Problem.LOCAL_CLASS
    summary = (
        "Reports a pydantic model (or enum, dataclass...) used by `run_remote` that is "
        "defined inside a function or class instead of at module top level."
    )
    why = """
The server generated for a chainlet imports the types of `run_remote` from your
module by name, and callers' stubs do the same. A class defined inside a
function cannot be imported at all, and one nested in a class is easily
shadowed or rebuilt on each call.
"""
    fix = "Move the class to module top level."
    bad = """
import pydantic

import truss_chains as chains


class Summarize(chains.ChainletBase):
    class Request(pydantic.BaseModel):
        text: str

    async def run_remote(self, request: "Summarize.Request") -> str:
        return request.text[:100]
"""
    good = """
import pydantic

import truss_chains as chains


class Request(pydantic.BaseModel):
    text: str


class Summarize(chains.ChainletBase):
    async def run_remote(self, request: Request) -> str:
        return request.text[:100]
"""


# ---------------------------------------------------------------------------
# Truss profile: what truss_chains rejects on top (CH250-CH259)
# ---------------------------------------------------------------------------

# ``truss_chains.framework._SIMPLE_TYPES`` (besides None and pydantic.BaseModel).
_TRUSS_SIMPLE = frozenset(
    f"builtins.{name}" for name in ("int", "float", "complex", "bool", "str", "bytes")
)
_TRUSS_CONTAINERS = frozenset({"builtins.list", "builtins.dict"})
_TYPING_CONTAINERS = {"typing.List": "list", "typing.Dict": "dict"}
_TRUSS_STREAM_ITEMS = frozenset({"builtins.str", "builtins.bytes"})
_TRUSS_ITERATORS = frozenset(
    f"{module}.{name}"
    for module in ("typing", "collections.abc")
    for name in ("AsyncIterator", "Iterator", "AsyncGenerator", "Generator")
)
_TRUSS_SUPPORTED = (
    "truss_chains accepts only `int`, `float`, `complex`, `bool`, `str`, `bytes`, `None`, "
    "pydantic models and `list`/`dict` of these"
)


class TrussCheck(str, enum.Enum):
    STRING = "CH250"
    UNION = "CH251"
    CONTAINER_ITEM = "CH252"
    TYPING_CONTAINER = "CH253"
    UNSUPPORTED_CONTAINER = "CH254"
    BARE_CONTAINER = "CH255"
    NEEDS_MODEL = "CH256"
    VARIADIC_TUPLE = "CH257"
    STREAM_ITEM = "CH258"
    WEBSOCKET = "CH259"


@dataclass(frozen=True)
class TrussIssue:
    check: TrussCheck
    span: Span
    subject: str  # where: "`run_remote` parameter `x` has type `T`"
    detail: str  # what truss does and how to fix it

    @property
    def message(self) -> str:
        return f"{self.subject}: {self.detail}"


def _issue(check: TrussCheck, site: IoSite, expr: TypeExpr, detail: str) -> TrussIssue:
    return TrussIssue(check, expr.span, site.describe(expr), detail)


class TrussIo:
    """Mirrors the I/O type validation of ``truss_chains.framework`` on the model.

    Only rejections the default rules do not already explain are produced:
    a type that is not JSON-safe (``Any``, a plain class...) is left to CH201,
    and a class the linter cannot see (which truss accepts when it is a
    pydantic model) is not guessed about.
    """

    def __init__(self, safety: JsonSafety) -> None:
        self.safety = safety

    def issues(self, endpoint: Endpoint) -> list[TrussIssue]:
        if endpoint.module.future_annotations:
            return [self._future_annotations(endpoint)]
        found: list[TrussIssue] = []
        for param in endpoint.wire_params:
            if param.annotation is None or param.kind in ("var_positional", "var_keyword"):
                continue
            site = IoSite(endpoint, "param", param.annotation, param.name)
            found += self._io_type(site, param.annotation)
        returns = endpoint.function.returns
        if returns is not None:
            found += self._output(endpoint, returns)
        found += self._websocket(endpoint)
        return found

    # -- _validate_endpoint_output_types / _validate_streaming_output_type ------

    def _output(self, endpoint: Endpoint, returns: TypeExpr) -> list[TrussIssue]:
        site = IoSite(endpoint, "return", returns)
        if returns.kind is TypeKind.STRING:
            return [self._string(site, returns)]
        head = self.safety.head(returns)
        if head in TUPLE_HEADS:
            return self._tuple_return(site, returns, head)
        if head in _TRUSS_ITERATORS:
            return self._stream(site, returns)
        return self._io_type(site, returns)

    def _tuple_return(self, site: IoSite, returns: TypeExpr, head: str) -> list[TrussIssue]:
        if returns.kind is TypeKind.NAME:
            if head == "typing.Tuple":
                return []  # truss reads a bare `typing.Tuple` as an empty tuple
            return [self._bare(site, returns)]
        found: list[TrussIssue] = []
        for arg in returns.args:
            if arg.kind is TypeKind.ELLIPSIS:
                found.append(_issue(
                    TrussCheck.VARIADIC_TUPLE, site, arg,
                    "truss_chains accepts only fixed-length tuples "
                    "as return types and rejects `...`; list the item types, e.g. "
                    "`tuple[int, int]`, or return a `list[...]`",
                ))
            elif not (arg.kind is TypeKind.OTHER and arg.text.replace(" ", "") == "()"):
                found += self._io_type(site, arg)
        return found

    def _stream(self, site: IoSite, returns: TypeExpr) -> list[TrussIssue]:
        item = returns.args[0] if returns.kind is TypeKind.SUBSCRIPT and returns.args else None
        if item is None:
            return [_issue(
                TrussCheck.STREAM_ITEM, site, returns,
                "truss_chains needs the item type of a stream; annotate it as "
                f"`{_unquoted(returns).text}[str]` or `{_unquoted(returns).text}[bytes]`",
            )]
        resolved = self._resolve_alias(item)
        if resolved.kind is TypeKind.NAME and self.safety.head(resolved) in _TRUSS_STREAM_ITEMS:
            return []
        return [_issue(
            TrussCheck.STREAM_ITEM, site, item,
            "truss_chains streams only `str` or `bytes` items; yield "
            "`str` (e.g. JSON text) or `bytes`, e.g. written by "
            "`truss_chains.streaming.stream_writer` for pydantic items",
        )]

    # -- _validate_io_type --------------------------------------------------------

    def _io_type(self, site: IoSite, expr: TypeExpr) -> list[TrussIssue]:
        kind = expr.kind
        if kind is TypeKind.STRING:
            return [self._string(site, expr)]
        if kind is TypeKind.NONE:
            return []
        if kind is TypeKind.UNION:
            return self._union(site, expr, expr.args)
        alias = self.safety.alias_of(expr)
        if alias is not None:
            return self._via_alias(site, expr, alias)
        underlying = self.safety.new_type_of(expr)
        if underlying is not None:
            return [self._new_type_issue(site, expr, underlying)]
        head = self.safety.head(expr)
        if head is None:
            return []
        if kind is TypeKind.NAME:
            return self._io_name(site, expr, head)
        if kind is TypeKind.SUBSCRIPT:
            return self._io_subscript(site, expr, head)
        return []

    def _io_name(self, site: IoSite, expr: TypeExpr, head: str) -> list[TrussIssue]:
        if self._accepted(expr):
            return []
        if head in _TYPING_CONTAINERS:
            return [self._typing_container(site, expr, head)]
        if head in _TRUSS_CONTAINERS or head == "builtins.tuple":
            return [self._bare(site, expr)]
        if head in CONTAINER_HEADS:
            return [self._unsupported_container(site, expr, head)]
        if self._needs_model(expr, head):
            return [self._needs_model_issue(site, expr)]
        return []

    def _io_subscript(self, site: IoSite, expr: TypeExpr, head: str) -> list[TrussIssue]:
        if head in UNION_HEADS:
            return self._union(site, expr, expr.args, optional=head == "typing.Optional")
        if head == ANNOTATED and expr.args:
            return [_issue(
                TrussCheck.NEEDS_MODEL, site, expr,
                f"truss_chains does not accept `Annotated`; write `{expr.args[0].text}` "
                "directly, or keep the constraint on a field of a pydantic model",
            )]
        if head in (LITERAL, ANNOTATED):
            return [self._needs_model_issue(site, expr)]
        if head in _TRUSS_CONTAINERS:
            return self._items(site, expr)
        if head in _TYPING_CONTAINERS:
            return [self._typing_container(site, expr, head), *self._items(site, expr)]
        if head in CONTAINER_HEADS:
            return [self._unsupported_container(site, expr, head), *self._items(site, expr)]
        return []

    def _items(self, site: IoSite, container: TypeExpr) -> list[TrussIssue]:
        """``list``/``dict`` item types must be simple types or pydantic models."""
        found: list[TrussIssue] = []
        for arg in container.args:
            if arg.kind is TypeKind.STRING:
                found.append(self._string(site, arg))
            elif self._rejected_item(arg):
                found.append(_issue(
                    TrussCheck.CONTAINER_ITEM, site, arg,
                    f"truss_chains accepts only simple types (`int`, "
                    "`float`, `str`, `bool`, `bytes`, `None`) and pydantic models as item "
                    f"types of `list` and `dict`, not `{arg.text}`; wrap the nested data in a "
                    "pydantic model",
                ))
        return found

    def _rejected_item(self, arg: TypeExpr) -> bool:
        """True when truss certainly rejects ``arg`` as an item, for a reason of its own."""
        resolved = self._resolve_alias(arg)
        if self.safety.new_type_of(resolved) is not None:
            return True
        if self._accepted(resolved):
            return False
        if resolved.kind is TypeKind.UNION:
            return True
        head = self.safety.head(resolved)
        if head is None:
            return False
        if resolved.kind is TypeKind.SUBSCRIPT:
            return head in CONTAINER_HEADS or head in UNION_HEADS or head in (LITERAL, ANNOTATED)
        return head in CONTAINER_HEADS or self._needs_model(resolved, head)

    # -- what truss accepts -------------------------------------------------------

    def _accepted(self, expr: TypeExpr) -> bool:
        """In ``_SIMPLE_TYPES``, or a pydantic model class (generic ones too)."""
        if expr.kind is TypeKind.NONE:
            return True
        if expr.kind not in (TypeKind.NAME, TypeKind.SUBSCRIPT):
            return False
        head = self.safety.head(expr)
        if expr.kind is TypeKind.NAME and (head in _TRUSS_SIMPLE or head == "pydantic.BaseModel"):
            return True
        if expr.kind is TypeKind.NAME and self.safety.namespace.sdk_symbol(head) == (
            "WebSocketProtocol"
        ):
            return True
        cls = self.safety.class_of(expr)
        return cls is not None and self.safety.facts(cls).kind is ClassKind.MODEL

    def _needs_model(self, expr: TypeExpr, head: str) -> bool:
        """Types pydantic carries but truss accepts only as fields of a pydantic model."""
        if head in SAFE_STDLIB or head in SAFE_PYDANTIC:
            return True
        cls = self.safety.class_of(expr)
        if cls is None:
            return False
        return self.safety.facts(cls).kind in (
            ClassKind.ENUM,
            ClassKind.DATACLASS,
            ClassKind.NAMED_TUPLE,
            ClassKind.TYPED_DICT,
            ClassKind.CUSTOM,
        )

    def _resolve_alias(self, expr: TypeExpr) -> TypeExpr:
        current = expr
        for _ in range(8):
            alias = self.safety.alias_of(current)
            if alias is None:
                return current
            current = alias
        return current

    # -- issue builders -----------------------------------------------------------

    def _via_alias(self, site: IoSite, expr: TypeExpr, alias: TypeExpr) -> list[TrussIssue]:
        inner = IoSite(site.endpoint, site.role, alias, site.param)
        subject = f"{site.describe(expr)} (an alias of `{alias.text}`)"
        return [
            TrussIssue(issue.check, expr.span, subject, issue.detail)
            for issue in self._io_type(inner, alias)
        ]

    def _string(self, site: IoSite, expr: TypeExpr) -> TrussIssue:
        return _issue(
            TrussCheck.STRING, site, expr,
            f"truss_chains does not evaluate string annotations and "
            f"rejects {expr.text}; write the type without quotes (define it above the "
            "chainlet)",
        )

    def _future_annotations(self, endpoint: Endpoint) -> TrussIssue:
        return TrussIssue(
            TrussCheck.STRING, endpoint.function.span,
            f"`from __future__ import annotations` in {endpoint.module.display_path} turns "
            "every annotation of `run_remote` into a string",
            "truss_chains rejects string annotations; remove the import",
        )

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
        found = [_issue(
            TrussCheck.UNION, site, expr,
            f"truss_chains does not accept `Optional` or unions as I/O "
            f"types; {hint}",
        )]
        for member in others:
            found += self._io_type(site, member)
        return found

    def _typing_container(self, site: IoSite, expr: TypeExpr, head: str) -> TrussIssue:
        builtin = _TYPING_CONTAINERS[head]
        return _issue(
            TrussCheck.TYPING_CONTAINER, site, expr,
            f"truss_chains accepts only the built-in `{builtin}`, not "
            f"`{head}`; write `{builtin}[...]` with the item types",
        )

    def _unsupported_container(self, site: IoSite, expr: TypeExpr, head: str) -> TrussIssue:
        name = head.rpartition(".")[2]
        if head in TUPLE_HEADS:
            reason = "accepts `tuple` only as the return type, not here"
        else:
            reason = f"does not accept `{name}`"
        return _issue(
            TrussCheck.UNSUPPORTED_CONTAINER, site, expr,
            f"truss_chains {reason}; its containers are `list` and "
            "`dict` (and `tuple` for results): use `list[...]`, or a pydantic model",
        )

    def _bare(self, site: IoSite, expr: TypeExpr) -> TrussIssue:
        name = _unquoted(expr).text
        return _issue(
            TrussCheck.BARE_CONTAINER, site, expr,
            f"truss_chains needs the item types of `{name}`; write e.g. "
            f"`{name}[str]`" + (" or `dict[str, int]`" if name == "dict" else ""),
        )

    def _new_type_issue(self, site: IoSite, expr: TypeExpr, underlying: TypeExpr) -> TrussIssue:
        return _issue(
            TrussCheck.NEEDS_MODEL, site, expr,
            f"{_TRUSS_SUPPORTED}; the `NewType` `{expr.text}` is none of these, so write its "
            f"type `{underlying.text}` instead",
        )

    def _needs_model_issue(self, site: IoSite, expr: TypeExpr) -> TrussIssue:
        return _issue(
            TrussCheck.NEEDS_MODEL, site, expr,
            f"{_TRUSS_SUPPORTED}; `{expr.text}` is allowed only as the "
            "type of a field of a pydantic model, so wrap it in one",
        )

    # -- _validate_websocket_endpoint ---------------------------------------------

    def _websocket(self, endpoint: Endpoint) -> list[TrussIssue]:
        params = [p for p in endpoint.wire_params if p.annotation is not None]
        sockets = [p for p in params if self._is_websocket(p.annotation)]
        if not sockets:
            return []
        found: list[TrussIssue] = []
        socket = sockets[0]
        assert socket.annotation is not None
        others = [p.name for p in endpoint.wire_params if p is not socket]
        if others:
            names = ", ".join(f"`{n}`" for n in others)
            found.append(TrussIssue(
                TrussCheck.WEBSOCKET, socket.annotation.span,
                f"`run_remote` takes the websocket `{socket.name}`",
                f"truss_chains then allows no other parameter; remove {names} and receive the "
                "data over the websocket",
            ))
        returns = endpoint.function.returns
        if returns is not None and returns.kind is not TypeKind.NONE:
            found.append(TrussIssue(
                TrussCheck.WEBSOCKET, returns.span,
                f"`run_remote` takes the websocket `{socket.name}`",
                f"truss_chains then requires the return type `None`, not `{returns.text}`; "
                "send results over the websocket",
            ))
        return found

    def _is_websocket(self, annotation: TypeExpr | None) -> bool:
        if annotation is None or annotation.kind is not TypeKind.NAME:
            return False
        head = self.safety.namespace.canonical(annotation.qualified)
        return self.safety.namespace.sdk_symbol(head) == "WebSocketProtocol"


class _TrussRule(Rule):
    check_kind: ClassVar[TrussCheck]
    profiles = frozenset({"truss"})

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        truss = TrussIo(JsonSafety(ctx.model.namespace))
        seen: set[tuple[Span, str]] = set()
        for endpoint in endpoints(ctx):
            for issue in truss.issues(endpoint):
                if issue.check is not self.check_kind or (issue.span, issue.message) in seen:
                    continue
                seen.add((issue.span, issue.message))
                yield _report(self, endpoint, issue.span, issue.message)


class TrussStringAnnotation(_TrussRule):
    code = "CH250"
    name = "truss-string-annotation"
    check_kind = TrussCheck.STRING
    summary = (
        "Reports string annotations in `run_remote`, including all annotations of a file "
        "with `from __future__ import annotations` (truss profile)."
    )
    why = """
truss_chains reads the annotations of `run_remote` as objects when the class is
defined and does not evaluate strings: a quoted annotation, or any annotation in
a file with `from __future__ import annotations`, is rejected ("A string-valued
type annotation was found").
"""
    fix = """
Write annotations without quotes, define the types used above the chainlet, and
remove `from __future__ import annotations` from chain files.
"""
    bad = """
from __future__ import annotations

import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""


class TrussUnionType(_TrussRule):
    code = "CH251"
    name = "truss-union-type"
    check_kind = TrussCheck.UNION
    summary = (
        "Reports `Optional[...]`, `Union[...]` and `X | Y` as `run_remote` I/O types "
        "(truss profile)."
    )
    why = """
truss_chains accepts only simple types, `list`/`dict` of them and pydantic
models in the `run_remote` signature; a union (including `Optional[X]` and
`X | None`) is rejected as an unsupported I/O type. Inside a pydantic model,
optional fields are fine.
"""
    fix = """
Give an optional parameter a default value of its own type instead
(`limit: int = 10`), or move optional and alternative values into fields of
a pydantic model.
"""
    bad = """
from typing import Optional

import truss_chains as chains


class Search(chains.ChainletBase):
    async def run_remote(self, query: str, limit: Optional[int] = None) -> list[str]:
        return [query] * (limit or 1)
"""
    good = """
import truss_chains as chains


class Search(chains.ChainletBase):
    async def run_remote(self, query: str, limit: int = 1) -> list[str]:
        return [query] * limit
"""


class TrussContainerItemType(_TrussRule):
    code = "CH252"
    name = "truss-container-item-type"
    check_kind = TrussCheck.CONTAINER_ITEM
    summary = (
        "Reports `list`/`dict` item types that are not simple types or pydantic models, "
        "e.g. nested containers (truss profile)."
    )
    why = """
truss_chains checks each type argument of a `list` or `dict` in the
`run_remote` signature: it must be `int`, `float`, `complex`, `bool`, `str`,
`bytes`, `None` or a pydantic model. Nested containers (`list[list[int]]`),
enums, `Literal` and `Optional` items are rejected.
"""
    fix = "Wrap the nested structure in a pydantic model and use `list[Model]`."
    bad = """
import truss_chains as chains


class Matrix(chains.ChainletBase):
    async def run_remote(self, rows: list[list[float]]) -> float:
        return sum(sum(row) for row in rows)
"""
    good = """
import pydantic

import truss_chains as chains


class Row(pydantic.BaseModel):
    values: list[float]


class Matrix(chains.ChainletBase):
    async def run_remote(self, rows: list[Row]) -> float:
        return sum(sum(row.values) for row in rows)
"""


class TrussTypingContainer(_TrussRule):
    code = "CH253"
    name = "truss-typing-container"
    check_kind = TrussCheck.TYPING_CONTAINER
    summary = "Reports `typing.List` / `typing.Dict` in `run_remote` I/O types (truss profile)."
    why = """
truss_chains accepts the built-in generic `list[...]` and `dict[...]` only: it
checks for `types.GenericAlias`, and `typing.List[int]` is not one, so it is
rejected ("use built-in types, not `typing.Dict`").
"""
    fix = "Write `list[int]` and `dict[str, int]` instead of `List[int]` and `Dict[str, int]`."
    bad = """
from typing import List

import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> List[str]:
        return text.split()
"""
    good = """
import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> list[str]:
        return text.split()
"""


class TrussUnsupportedContainer(_TrussRule):
    code = "CH254"
    name = "truss-unsupported-container"
    check_kind = TrussCheck.UNSUPPORTED_CONTAINER
    summary = (
        "Reports containers other than `list` and `dict` (`set`, `Sequence`, `Mapping`, "
        "`deque`, `tuple` outside the return type) in `run_remote` (truss profile)."
    )
    why = """
The only containers truss_chains accepts in the `run_remote` signature are
`list` and `dict`, plus a `tuple` as the (top-level) return type, whose
elements are then checked one by one. `set[str]` or `Sequence[int]`, or a tuple
parameter, are rejected as unsupported I/O types although pydantic could carry
them.
"""
    fix = "Use `list[...]` (or `dict[...]`), or a pydantic model with such fields."
    bad = """
import truss_chains as chains


class Unique(chains.ChainletBase):
    async def run_remote(self, words: set[str]) -> int:
        return len(words)
"""
    good = """
import truss_chains as chains


class Unique(chains.ChainletBase):
    async def run_remote(self, words: list[str]) -> int:
        return len(set(words))
"""


class TrussBareContainer(_TrussRule):
    code = "CH255"
    name = "truss-bare-container"
    check_kind = TrussCheck.BARE_CONTAINER
    summary = (
        "Reports `list`, `dict` or `tuple` without item types in `run_remote` (truss profile)."
    )
    why = """
truss_chains accepts containers only "with annotated item types": a bare `list`,
`dict` or `tuple` in the signature is rejected.
"""
    fix = "Give the item types, e.g. `list[str]` or `dict[str, float]`."
    bad = """
import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, counts: dict) -> int:
        return len(counts)
"""
    good = """
import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, counts: dict[str, int]) -> int:
        return len(counts)
"""


class TrussTypeNeedsModel(_TrussRule):
    code = "CH256"
    name = "truss-type-needs-model"
    check_kind = TrussCheck.NEEDS_MODEL
    summary = (
        "Reports enums, `Literal`, `Annotated`, dataclasses, `datetime`, `UUID` and other "
        "pydantic-supported types used directly in `run_remote` (truss profile)."
    )
    why = """
truss_chains accepts directly only `int`, `float`, `complex`, `bool`, `str`,
`bytes`, `None`, pydantic models and `list`/`dict` of these. An enum, a
`Literal`, a dataclass or a `datetime` are fine as fields of a pydantic model,
but rejected as a parameter or return type of `run_remote`.
"""
    fix = "Wrap the value in a pydantic model, e.g. `class Request(BaseModel): mode: Mode`."
    bad = """
import enum

import truss_chains as chains


class Mode(str, enum.Enum):
    FAST = "fast"
    GOOD = "good"


class Render(chains.ChainletBase):
    async def run_remote(self, mode: Mode) -> str:
        return mode.value
"""
    good = """
import enum

import pydantic

import truss_chains as chains


class Mode(str, enum.Enum):
    FAST = "fast"
    GOOD = "good"


class RenderRequest(pydantic.BaseModel):
    mode: Mode


class Render(chains.ChainletBase):
    async def run_remote(self, request: RenderRequest) -> str:
        return request.mode.value
"""


class TrussVariadicTupleReturn(_TrussRule):
    code = "CH257"
    name = "truss-variadic-tuple-return"
    check_kind = TrussCheck.VARIADIC_TUPLE
    summary = "Reports a `tuple[T, ...]` return type of `run_remote` (truss profile)."
    why = """
truss_chains reads a tuple return type as a fixed list of outputs and checks
each element as an I/O type; the `...` of `tuple[int, ...]` is not a type, so
the chainlet is rejected.
"""
    fix = "Return `list[T]` for a variable number of items, or list each element type."
    bad = """
import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> tuple[str, ...]:
        return tuple(text.split())
"""
    good = """
import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> list[str]:
        return text.split()
"""


class TrussStreamItemType(_TrussRule):
    code = "CH258"
    name = "truss-stream-item-type"
    check_kind = TrussCheck.STREAM_ITEM
    summary = (
        "Reports a streaming `run_remote` whose item type is not `str` or `bytes`, or is "
        "missing (truss profile)."
    )
    why = """
truss_chains streams only `str` or `bytes` items: `AsyncIterator[int]` or
`AsyncIterator[Model]` are rejected, and so is an iterator without item type.
Structured items must be serialised by the chainlet, e.g. with the
`truss_chains.streaming` writer and reader helpers.
"""
    fix = "Yield `str` or `bytes` and annotate `AsyncIterator[str]` / `AsyncIterator[bytes]`."
    bad = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Counter(chains.ChainletBase):
    async def run_remote(self, limit: int) -> AsyncIterator[int]:
        for value in range(limit):
            yield value
"""
    good = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Counter(chains.ChainletBase):
    async def run_remote(self, limit: int) -> AsyncIterator[str]:
        for value in range(limit):
            yield str(value)
"""


class TrussWebsocketEndpoint(_TrussRule):
    code = "CH259"
    name = "truss-websocket-endpoint"
    check_kind = TrussCheck.WEBSOCKET
    summary = (
        "Reports a websocket `run_remote` with other parameters or a return type other than "
        "`None` (truss profile)."
    )
    why = """
A `run_remote` that takes a `WebSocketProtocol` is a websocket endpoint: truss_chains
requires the websocket to be its only parameter and `None` as its return type,
since all data goes over the socket.
"""
    fix = "Keep only the websocket parameter, return `None`, and exchange data over the socket."
    bad = """
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, websocket: chains.WebSocketProtocol, prefix: str) -> None:
        text = await websocket.receive_text()
        await websocket.send_text(prefix + text)
"""
    good = """
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        text = await websocket.receive_text()
        await websocket.send_text(text)
"""


RULES: tuple[type[Rule], ...] = (
    IoTypeNotJson,
    IoTypeUnverifiable,
    IoBytesInModel,
    IoTypeUntyped,
    IoClassNotTopLevel,
    TrussStringAnnotation,
    TrussUnionType,
    TrussContainerItemType,
    TrussTypingContainer,
    TrussUnsupportedContainer,
    TrussBareContainer,
    TrussTypeNeedsModel,
    TrussVariadicTupleReturn,
    TrussStreamItemType,
    TrussWebsocketEndpoint,
)
