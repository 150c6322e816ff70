"""CH101-CH115: the shape of ``run_remote``, the one endpoint a chainlet exposes.

The framework builds a pydantic request model from the parameters of
``run_remote`` and calls it as ``run_remote(**fields)``; the return annotation
decides how the result (or a stream of results) goes back. These rules check
the signature shape only; whether the types are JSON-safe is for the CH2xx rules.

A ``run_remote`` inherited from a chainlet base in a file that is not linted
is reported at the subclass (the problem is then shown as related location);
one inherited from a linted file is reported where it is defined.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import libcst as cst

from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import (
    Chainlet,
    ClassInfo,
    FunctionInfo,
    Param,
    StaticValue,
    TypeExpr,
    TypeKind,
)
from chains_lint.model.values import dotted_name
from chains_lint.rules.base import Rule, RuleContext

RUN_REMOTE = "run_remote"
SELF = "self"

# Public attributes of ``pydantic.BaseModel`` (pydantic 2). A request field with
# one of these names is rejected by pydantic or shadows a method the framework
# calls (``model_fields_set``, ``model_dump``...). Kept static: the linter does
# not import pydantic. tests/test_rules_run_remote.py compares it with the
# installed pydantic so that it cannot drift.
PYDANTIC_BASEMODEL_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "construct",
        "copy",
        "dict",
        "from_orm",
        "json",
        "model_computed_fields",
        "model_config",
        "model_construct",
        "model_copy",
        "model_dump",
        "model_dump_json",
        "model_extra",
        "model_fields",
        "model_fields_set",
        "model_json_schema",
        "model_parametrized_name",
        "model_post_init",
        "model_rebuild",
        "model_validate",
        "model_validate_json",
        "model_validate_strings",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    }
)

# Decorators that turn ``run_remote`` into something that is not a plain method.
_NOT_PLAIN_METHOD = frozenset(
    {
        "builtins.staticmethod",
        "builtins.classmethod",
        "builtins.property",
        "functools.cached_property",
        "abc.abstractstaticmethod",
        "abc.abstractclassmethod",
        "abc.abstractproperty",
    }
)

_TYPING_MODULES = ("typing", "typing_extensions", "collections.abc")
# Modules whose names are all known here: a name from them that is not a
# stream type is certainly not one (unlike a name from an unknown library,
# which may be an alias of ``AsyncIterator[...]``).
_KNOWN_MODULES = frozenset({"builtins", "types", "collections", *_TYPING_MODULES})
# Bases that never provide ``run_remote``.
_PLAIN_BASES = frozenset(
    {
        "builtins.object",
        "abc.ABC",
        "typing.Generic",
        "typing.Protocol",
        "typing_extensions.Generic",
        "typing_extensions.Protocol",
    }
)
_MAX_BASE_DEPTH = 32
_VARIADIC = ("var_positional", "var_keyword")
_POSITIONAL = ("positional_only", "positional_or_keyword")


# ---------------------------------------------------------------------------
# Streaming return types
# ---------------------------------------------------------------------------


class StreamKind(enum.Enum):
    ASYNC = "async"  # AsyncIterator / AsyncGenerator
    SYNC = "sync"  # Iterator / Generator
    NOT_STREAM = "not_stream"  # certainly not a stream type (str, None, a model...)
    UNKNOWN = "unknown"  # cannot tell statically (an alias, an unknown library name)


def _stream_names(*names: str) -> frozenset[str]:
    return frozenset(f"{module}.{name}" for module in _TYPING_MODULES for name in names)


_ASYNC_STREAMS = _stream_names("AsyncIterator", "AsyncGenerator")
_SYNC_STREAMS = _stream_names("Iterator", "Generator")
_GENERATORS = _stream_names("AsyncGenerator", "Generator")


@dataclass(frozen=True)
class StreamType:
    kind: StreamKind
    head: str | None  # canonical qualified name of the annotation's head
    annotation: TypeExpr  # the annotation as read (inside the quotes for strings)


def stream_type(namespace: Namespace, returns: TypeExpr) -> StreamType:
    """What a return annotation says about streaming."""
    annotation = returns
    if annotation.kind is TypeKind.STRING:
        if annotation.inner is None:
            return StreamType(StreamKind.UNKNOWN, None, returns)
        annotation = annotation.inner
    if annotation.kind in (TypeKind.NONE, TypeKind.UNION):
        return StreamType(StreamKind.NOT_STREAM, None, annotation)
    if annotation.kind not in (TypeKind.NAME, TypeKind.SUBSCRIPT):
        return StreamType(StreamKind.UNKNOWN, None, annotation)
    head = namespace.canonical(annotation.qualified)
    if head is None:
        return StreamType(StreamKind.UNKNOWN, None, annotation)
    if head in _ASYNC_STREAMS:
        return StreamType(StreamKind.ASYNC, head, annotation)
    if head in _SYNC_STREAMS:
        return StreamType(StreamKind.SYNC, head, annotation)
    known = head.rpartition(".")[0] in _KNOWN_MODULES or namespace.find_class(head) is not None
    return StreamType(StreamKind.NOT_STREAM if known else StreamKind.UNKNOWN, head, annotation)


def _item_text(annotation: TypeExpr) -> str:
    """The item type of a stream annotation, for suggestions (``str`` when unknown)."""
    if annotation.kind is TypeKind.SUBSCRIPT and annotation.args:
        return annotation.args[0].text
    return "str"


# ---------------------------------------------------------------------------
# Which run_remote methods a linted module is responsible for
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A ``run_remote`` to check for a chainlet of the linted module."""

    chainlet: Chainlet
    function: FunctionInfo
    module: ModuleInfo  # the module that defines ``function``
    # The base class ``function`` comes from, when that class is in a file that
    # is not linted (so the problem is reported at the subclass).
    inherited_from: ClassInfo | None

    @property
    def receiver(self) -> Param | None:
        """The parameter bound to the instance: the first positional one."""
        params = self.function.params
        return params[0] if params and params[0].kind in _POSITIONAL else None

    @property
    def wire_params(self) -> tuple[Param, ...]:
        """The parameters that become fields of the request."""
        receiver = self.receiver
        return tuple(p for p in self.function.params if p is not receiver)

    @property
    def not_plain_decorators(self) -> list[str]:
        return [
            d.written
            for d in self.function.decorators
            if d.qualified in _NOT_PLAIN_METHOD and d.call is None
        ]


def _lineage(namespace: Namespace, chainlet: Chainlet) -> list[ClassInfo]:
    found = (namespace.find_class(q) for q in chainlet.chainlet_bases)
    return [chainlet.cls, *(cls for cls in found if cls is not None)]


def endpoints(ctx: RuleContext) -> Iterator[Endpoint]:
    namespace = ctx.model.namespace
    linted = set(ctx.model.linted_paths)
    for chainlet in ctx.chainlets:
        function = chainlet.run_remote
        if function is None:
            continue
        owner = next(
            (c for c in _lineage(namespace, chainlet) if c.qualified == chainlet.run_remote_owner),
            None,
        )
        if owner is None or owner is chainlet.cls:
            yield Endpoint(chainlet, function, chainlet.module, None)
            continue
        owner_module = namespace.module_of(owner)
        if owner_module.path in linted:
            continue  # reported where it is defined
        yield Endpoint(chainlet, function, owner_module, owner)


class _RunRemoteRule(Rule):
    """A rule about one ``run_remote``: subclasses list the problems of an endpoint."""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for endpoint in endpoints(ctx):
            for span, message in self.problems(ctx, endpoint):
                yield self._report(endpoint, span, message)

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterable[tuple[Span, str]]:
        raise NotImplementedError

    def _report(self, endpoint: Endpoint, span: Span, message: str) -> Diagnostic:
        base = endpoint.inherited_from
        if base is None:
            return self.diagnostic(span, message)
        chainlet = endpoint.chainlet
        where = f"{endpoint.module.display_path}:{span.line}"
        return self.diagnostic(
            chainlet.cls.span,
            f"`{chainlet.name}` inherits `run_remote` from `{base.name}` ({where}): {message}",
            related=(span,),
        )


# ---------------------------------------------------------------------------
# CH101: run_remote missing
# ---------------------------------------------------------------------------


def _base_heads(namespace: Namespace, cls: ClassInfo) -> Iterator[tuple[StaticValue, str | None]]:
    """Each base expression of ``cls`` with the qualified name of its head."""
    module = namespace.module_of(cls)
    for base in cls.bases:
        node = base.node
        if isinstance(node, cst.Subscript):  # Generic[T], SomeBase[int]
            head = dotted_name(node.value)
            yield base, module.qualify(head) if head else None
        else:
            yield base, base.qualified_name


def _may_provide_run_remote(namespace: Namespace, cls: ClassInfo, depth: int = 0) -> bool:
    """True unless ``cls`` and all its bases are known and none defines ``run_remote``."""
    if depth > _MAX_BASE_DEPTH:
        return True
    if RUN_REMOTE in cls.methods or RUN_REMOTE in cls.attributes:
        return True
    for _, head in _base_heads(namespace, cls):
        if head is None:
            return True
        if namespace.sdk_symbol(head) is not None or namespace.canonical(head) in _PLAIN_BASES:
            continue
        parent = namespace.find_class(head)
        if parent is None:
            return True
        if parent is not cls and _may_provide_run_remote(namespace, parent, depth + 1):
            return True
    return False


class RunRemoteMissing(Rule):
    code = "CH101"
    name = "run-remote-missing"
    summary = "Reports a chainlet class without a `run_remote` method, its own or inherited."
    why = """
`run_remote` is a chainlet's only endpoint: without it there is nothing to call,
and truss rejects the class when it is defined ("Chainlets must have a
`run_remote` method"). This also applies to a chainlet used only as a base for
other chainlets: truss validates every subclass of `ChainletBase` as it is
defined and skips only its own built-in bases.
"""
    fix = """
Add `async def run_remote(self, ...) -> ...`. In a chainlet that only serves as a
base, declare it as an abstract method (`@abc.abstractmethod`) that subclasses
override.
"""
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def greet(self, name: str) -> str:
        return f"Hello, {name}"
"""
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        used_as_base = {q for c in ctx.model.chainlets.values() for q in c.chainlet_bases}
        for chainlet in ctx.chainlets:
            if chainlet.run_remote is None and not _may_provide_run_remote(namespace, chainlet.cls):
                message = _missing_message(chainlet, chainlet.qualified in used_as_base)
                yield self.diagnostic(chainlet.cls.span, message)
            yield from self._unlinted_bases_without_run_remote(ctx, chainlet)

    def _unlinted_bases_without_run_remote(
        self, ctx: RuleContext, chainlet: Chainlet
    ) -> Iterator[Diagnostic]:
        """Chainlet bases from files that are not linted, which truss also rejects."""
        namespace = ctx.model.namespace
        linted = set(ctx.model.linted_paths)
        anchor = _direct_base_span(namespace, chainlet)
        for qualified in chainlet.chainlet_bases:
            base = ctx.model.chainlet_for(qualified)
            if base is None or base.module.path in linted:
                continue
            if base.run_remote is None and not _may_provide_run_remote(namespace, base.cls):
                yield self.diagnostic(
                    anchor,
                    f"chainlet base `{base.name}` ({base.module.display_path}) has no "
                    "`run_remote`, and truss rejects every `ChainletBase` subclass without "
                    f"one, bases too; declare `run_remote` in `{base.name}`, e.g. as an "
                    "`@abc.abstractmethod`",
                    related=(base.cls.span,),
                )


def _missing_message(chainlet: Chainlet, used_as_base: bool) -> str:
    if used_as_base:
        return (
            f"chainlet `{chainlet.name}` has no `run_remote`; a chainlet used as a base "
            "needs one too, since truss validates every `ChainletBase` subclass: declare it "
            "here, e.g. as an `@abc.abstractmethod` that subclasses override"
        )
    return (
        f"chainlet `{chainlet.name}` has no `run_remote` method; add its endpoint, e.g. "
        "`async def run_remote(self, text: str) -> str`"
    )


def _direct_base_span(namespace: Namespace, chainlet: Chainlet) -> Span:
    """The base expression through which ``chainlet`` derives from its chainlet bases."""
    if chainlet.chainlet_bases:
        nearest = chainlet.chainlet_bases[0]
        for base, head in _base_heads(namespace, chainlet.cls):
            found = namespace.find_class(head)
            if found is not None and found.qualified == nearest:
                return base.span
    return chainlet.cls.span


# ---------------------------------------------------------------------------
# CH102-CH103: a plain method taking self
# ---------------------------------------------------------------------------


class RunRemoteNotPlainMethod(_RunRemoteRule):
    code = "CH102"
    name = "run-remote-not-plain-method"
    summary = "Reports a `run_remote` decorated as a `staticmethod`, `classmethod` or `property`."
    why = """
The framework calls `run_remote` on the chainlet instance with the request
fields as keyword arguments. A static method or class method gets no instance
(truss reads the first parameter as `self` and rejects the signature), and a
property is not callable as a method at all.
"""
    fix = "Remove the decorator and make `run_remote` a plain method with `self` first."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    @staticmethod
    async def run_remote(name: str) -> str:
        return f"Hello, {name}"
"""
    good = RunRemoteMissing.good

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        for decorator in endpoint.function.decorators:
            if decorator.qualified in _NOT_PLAIN_METHOD and decorator.call is None:
                yield (
                    decorator.span,
                    (
                        f"`run_remote` is decorated with `@{decorator.written}`, but it must be a "
                        "plain method called on the chainlet instance; remove the decorator and "
                        "take `self` as the first parameter"
                    ),
                )


class RunRemoteSelf(_RunRemoteRule):
    code = "CH103"
    name = "run-remote-self"
    summary = "Reports a `run_remote` whose first parameter is missing or not named `self`."
    why = """
truss requires `run_remote` to be a method with `self` as its first parameter
and rejects the chainlet otherwise. Any other first parameter is taken as the
instance, not as an input.
"""
    fix = "Make `self` the first parameter of `run_remote`."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(this, name: str) -> str:
        return f"Hello, {name}"
"""
    good = RunRemoteMissing.good

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        if endpoint.not_plain_decorators:
            return  # CH102 says what to do
        function = endpoint.function
        receiver = endpoint.receiver
        if not function.params:
            yield (
                function.span,
                (
                    "`run_remote` has no parameters; it must be a method: add `self` as its "
                    "first parameter"
                ),
            )
        elif receiver is None:
            first = function.params[0]
            yield (
                first.span,
                (
                    "`run_remote` must take `self` as its first positional parameter, got "
                    f"`{_written_param(first)}`; add `self` before it"
                ),
            )
        elif receiver.name != SELF:
            yield (
                receiver.span,
                (
                    f"`run_remote` must take `self` as its first parameter, got `{receiver.name}`; "
                    "rename it to `self`"
                ),
            )


def _written_param(param: Param) -> str:
    stars = {"var_positional": "*", "var_keyword": "**"}.get(param.kind, "")
    return f"{stars}{param.name}"


# ---------------------------------------------------------------------------
# CH104-CH105: annotations
# ---------------------------------------------------------------------------


def _example_type(param: Param) -> str:
    """A type to suggest for ``param``: from a literal default, else ``str``."""
    literal = param.default.literal if param.default is not None else None
    if isinstance(literal, bool):
        return "bool"
    if isinstance(literal, (int, float, str)):
        return type(literal).__name__
    if isinstance(literal, list):
        return "list[str]"
    if isinstance(literal, dict):
        return "dict[str, str]"
    return "str"


class RunRemoteParamAnnotation(_RunRemoteRule):
    code = "CH104"
    name = "run-remote-param-unannotated"
    summary = "Reports a `run_remote` parameter (other than `self`) without a type annotation."
    why = """
The request and its validation are generated from the annotations of
`run_remote`: a parameter without one has no type to build a request field
from, and truss rejects the chainlet.
"""
    fix = "Annotate the parameter with a JSON-compatible type, e.g. `name: str`."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name) -> str:
        return f"Hello, {name}"
"""
    good = RunRemoteMissing.good

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        for param in endpoint.wire_params:
            if param.annotation is None and param.kind not in _VARIADIC:
                yield (
                    param.span,
                    (
                        f"`run_remote` parameter `{param.name}` has no type annotation; annotate "
                        f"it, e.g. `{param.name}: {_example_type(param)}`"
                    ),
                )


class RunRemoteReturnAnnotation(_RunRemoteRule):
    code = "CH105"
    name = "run-remote-return-unannotated"
    summary = "Reports a `run_remote` without a return annotation."
    why = """
The response (or, for a streaming endpoint, the items of the stream) is
serialized according to the return annotation of `run_remote`, and callers'
stubs are typed from it. truss rejects an endpoint without one.
"""
    fix = """
Annotate the return type: `-> str`, `-> MyOutput` (a pydantic model), `-> None`,
or `-> AsyncIterator[str]` for a streaming endpoint.
"""
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str):
        return f"Hello, {name}"
"""
    good = RunRemoteMissing.good

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        if function.returns is not None:
            return
        if function.yields:
            example = "AsyncIterator[str]" if function.is_async else "Iterator[str]"
            hint = f"it yields, so annotate the stream, e.g. `-> {example}`"
        else:
            hint = "add one, e.g. `-> str`, or `-> None` when it returns nothing"
        yield function.span, f"`run_remote` has no return annotation; {hint}"


# ---------------------------------------------------------------------------
# CH106-CH107: parameter kinds
# ---------------------------------------------------------------------------


class RunRemoteVariadic(_RunRemoteRule):
    code = "CH106"
    name = "run-remote-variadic-param"
    summary = "Reports `*args` or `**kwargs` in the signature of `run_remote`."
    why = """
A request is a JSON object whose fields are the parameters of `run_remote`,
and the framework calls `run_remote(**fields)`. `*args` cannot receive keyword
arguments, and `**kwargs` would become one field literally named `kwargs`:
neither carries the inputs the code expects.
"""
    fix = "Declare every input as a named, annotated parameter (or one pydantic model)."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, *names: str) -> str:
        return ", ".join(names)
"""
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, names: list[str]) -> str:
        return ", ".join(names)
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        for param in endpoint.wire_params:
            if param.kind == "var_positional":
                yield (
                    param.span,
                    (
                        f"`run_remote` cannot take `*{param.name}`: it is called with named "
                        f"request fields only; take a list instead, e.g. `{param.name}: list[str]`"
                    ),
                )
            elif param.kind == "var_keyword":
                yield (
                    param.span,
                    (
                        f"`run_remote` cannot take `**{param.name}`: request fields come from "
                        "named parameters; declare each input as a named, annotated parameter"
                    ),
                )


class RunRemotePositionalOnly(_RunRemoteRule):
    code = "CH107"
    name = "run-remote-positional-only"
    summary = "Reports `run_remote` parameters declared positional-only (before `/`)."
    why = """
The framework passes the request fields as keyword arguments,
`run_remote(**fields)`, so a positional-only parameter raises a `TypeError` on
every call. (Only `self` may come before `/`: it is bound, not passed.)
"""
    fix = "Remove the `/` from the signature (or move it right after `self`)."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str, /) -> str:
        return f"Hello, {name}"
"""
    good = RunRemoteMissing.good

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        for param in endpoint.wire_params:
            if param.kind == "positional_only":
                yield (
                    param.span,
                    (
                        f"`run_remote` parameter `{param.name}` is positional-only, but the "
                        "request fields are passed by keyword; remove the `/` after it"
                    ),
                )


# ---------------------------------------------------------------------------
# CH108-CH109: parameter names
# ---------------------------------------------------------------------------


class RunRemotePrivateParamName(_RunRemoteRule):
    code = "CH108"
    name = "run-remote-param-underscore"
    summary = "Reports a `run_remote` parameter whose name starts with an underscore."
    why = """
Each parameter becomes a field of a pydantic request model, and pydantic treats
names with a leading underscore as private attributes, not fields. The value
never reaches `run_remote`, whose call then fails for the missing argument.
"""
    fix = "Rename the parameter without the leading underscore."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, _name: str) -> str:
        return f"Hello, {_name}"
"""
    good = RunRemoteMissing.good

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        for param in endpoint.wire_params:
            if param.name.startswith("_") and param.kind not in _VARIADIC:
                suggestion = param.name.lstrip("_") or "value"
                yield (
                    param.span,
                    (
                        f"`run_remote` parameter `{param.name}` starts with an underscore, so it "
                        f"cannot be a request field; rename it, e.g. `{suggestion}`"
                    ),
                )


class RunRemoteParamShadowsBaseModel(_RunRemoteRule):
    code = "CH109"
    name = "run-remote-param-shadows-basemodel"
    summary = (
        "Reports a `run_remote` parameter named like an attribute of `pydantic.BaseModel` "
        "(`json`, `dict`, `copy`, `schema`, `model_config`, `model_dump`...)."
    )
    why = """
The request model is a pydantic model with one field per parameter. pydantic
refuses some of these names outright (`model_config`, `model_dump`,
`model_validate`...) and for the others the field replaces a `BaseModel`
method on the request, which the framework and clients call to serialize and
validate it (truss reads `model_fields_set` to pass the arguments).
"""
    fix = "Rename the parameter, e.g. `json` to `payload`, `schema` to `schema_name`."
    bad = """
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, json: str) -> str:
        return json
"""
    good = """
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, payload: str) -> str:
        return payload
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        for param in endpoint.wire_params:
            if param.name in PYDANTIC_BASEMODEL_ATTRIBUTES and param.kind not in _VARIADIC:
                yield (
                    param.span,
                    (
                        f"`run_remote` parameter `{param.name}` has the name of a "
                        "`pydantic.BaseModel` attribute and cannot be a field of the request "
                        f"model; rename it, e.g. `{param.name}_value`"
                    ),
                )


# ---------------------------------------------------------------------------
# CH110: sync run_remote
# ---------------------------------------------------------------------------


class RunRemoteSync(_RunRemoteRule):
    code = "CH110"
    name = "run-remote-sync"
    severity = Severity.WARNING
    summary = "Reports a `run_remote` defined with plain `def` instead of `async def`."
    why = """
A synchronous `run_remote` is run in a thread pool. Threads hold the GIL, so
concurrent requests gain little, and some libraries are not thread-safe (e.g.
a CUDA context in torch). truss deprecates synchronous endpoints.
"""
    fix = "Define `async def run_remote(...)` and use async APIs for the work inside."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""
    good = RunRemoteMissing.good

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        if not function.is_async:
            yield (
                function.span,
                (
                    "`run_remote` is synchronous, so it runs in a thread pool; make it "
                    "`async def run_remote` and use async APIs inside"
                ),
            )


# ---------------------------------------------------------------------------
# CH111-CH113: streaming
# ---------------------------------------------------------------------------


def _returned_stream(ctx: RuleContext, endpoint: Endpoint) -> StreamType | None:
    returns = endpoint.function.returns
    return stream_type(ctx.model.namespace, returns) if returns is not None else None


def _stream_example(function: FunctionInfo, item: str = "str") -> str:
    return f"AsyncIterator[{item}]" if function.is_async else f"Iterator[{item}]"


class RunRemoteYieldsWithoutStreamType(_RunRemoteRule):
    code = "CH111"
    name = "run-remote-yield-without-stream-type"
    summary = "Reports a `run_remote` that yields but whose return type is not a stream type."
    why = """
A `run_remote` that contains `yield` is a streaming endpoint: the framework
sends each yielded item as it comes. It recognizes a stream only by a return
annotation like `AsyncIterator[str]`; with any other annotation truss rejects
the chainlet, and callers' stubs would expect a single value.
"""
    fix = "Annotate the return type as `AsyncIterator[<item type>]` (or stop yielding)."
    bad = """
import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, n: int) -> str:
        for i in range(n):
            yield str(i)
"""
    good = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, n: int) -> AsyncIterator[str]:
        for i in range(n):
            yield str(i)
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        stream = _returned_stream(ctx, endpoint)
        if not function.yields or stream is None or stream.kind is not StreamKind.NOT_STREAM:
            return
        assert function.returns is not None
        yield (
            function.returns.span,
            (
                "`run_remote` yields, so it streams, but its return type "
                f"`{function.returns.text}` is not a stream type; annotate it as "
                f"`{_stream_example(function)}`"
            ),
        )


class RunRemoteStreamTypeWithoutYield(_RunRemoteRule):
    code = "CH112"
    name = "run-remote-stream-type-without-yield"
    summary = (
        "Reports a `run_remote` annotated with a stream type (`AsyncIterator`...) "
        "whose body never yields."
    )
    why = """
Whether an endpoint streams is decided by `yield` in the body of `run_remote`.
Without it, `run_remote` is a plain coroutine: returning an iterator from it
(e.g. another chainlet's stream) is not streamed, and truss rejects an
endpoint whose return type is an iterator but which has no `yield`.
"""
    fix = """
Yield the items in `run_remote` (`async for chunk in ...: yield chunk`), or
annotate the type of the single value it returns. An abstract `run_remote` can
`raise NotImplementedError` followed by a `yield`.
"""
    bad = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Words(chains.ChainletBase):
    async def run_remote(self, text: str) -> AsyncIterator[str]:
        return text.split()
"""
    good = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Words(chains.ChainletBase):
    async def run_remote(self, text: str) -> AsyncIterator[str]:
        for word in text.split():
            yield word
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        stream = _returned_stream(ctx, endpoint)
        if function.yields or stream is None:
            return
        if stream.kind not in (StreamKind.ASYNC, StreamKind.SYNC):
            return
        assert function.returns is not None
        yield (
            function.returns.span,
            (
                f"the return type `{function.returns.text}` declares a stream, but `run_remote` "
                "never yields; yield the items, or annotate the single value it returns"
            ),
        )


class RunRemoteStreamKindMismatch(_RunRemoteRule):
    code = "CH113"
    name = "run-remote-stream-kind-mismatch"
    summary = (
        "Reports a streaming `run_remote` whose stream type does not match `def` / `async def`: "
        "`async def` needs `AsyncIterator`/`AsyncGenerator`, `def` needs `Iterator`/`Generator`."
    )
    why = """
An `async def` that yields is an async generator, consumed with `async for`;
a plain `def` that yields is a sync generator, consumed with `for`. The stubs
callers use are typed from the annotation, so the wrong kind makes them iterate
the stream the wrong way.
"""
    fix = "Use `AsyncIterator[...]` for `async def run_remote`, `Iterator[...]` for `def`."
    bad = """
from collections.abc import Iterator

import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, n: int) -> Iterator[str]:
        for i in range(n):
            yield str(i)
"""
    good = RunRemoteYieldsWithoutStreamType.good

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        stream = _returned_stream(ctx, endpoint)
        if not function.yields or stream is None or function.returns is None:
            return
        wanted = StreamKind.ASYNC if function.is_async else StreamKind.SYNC
        if stream.kind not in (StreamKind.ASYNC, StreamKind.SYNC) or stream.kind is wanted:
            return
        definition = "async def" if function.is_async else "def"
        generator = "an async generator" if function.is_async else "a sync generator"
        yield (
            function.returns.span,
            (
                f"`{definition} run_remote` yields, so it is {generator}, but its return type is "
                f"`{function.returns.text}`; annotate it as "
                f"`{_stream_example(function, _item_text(stream.annotation))}`"
            ),
        )


# ---------------------------------------------------------------------------
# CH114-CH115: what truss does not support
# ---------------------------------------------------------------------------


class TrussSyncStreaming(_RunRemoteRule):
    code = "CH114"
    name = "truss-sync-streaming"
    summary = "Reports a streaming `run_remote` defined with plain `def` (truss profile)."
    why = """
truss supports streaming (`yield` in `run_remote`) only for `async def`
endpoints and rejects a synchronous generator when the chain is loaded.
"""
    fix = "Define `async def run_remote(...) -> AsyncIterator[...]` and keep the `yield`."
    bad = """
from collections.abc import Iterator

import truss_chains as chains


class Count(chains.ChainletBase):
    def run_remote(self, n: int) -> Iterator[str]:
        for i in range(n):
            yield str(i)
"""
    good = RunRemoteYieldsWithoutStreamType.good
    profiles = frozenset({"truss"})

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        if function.yields and not function.is_async:
            yield (
                function.span,
                (
                    "truss streams only from `async def` endpoints, but this `run_remote` is a "
                    "plain `def` that yields; make it `async def run_remote(...) -> "
                    "AsyncIterator[...]`"
                ),
            )


class TrussGeneratorReturnType(_RunRemoteRule):
    code = "CH115"
    name = "truss-generator-return-type"
    summary = (
        "Reports a `run_remote` annotated as `AsyncGenerator`/`Generator` (truss profile), "
        "which truss does not accept."
    )
    why = """
truss recognizes a streaming endpoint only by a return annotation of
`AsyncIterator[...]` (or `Iterator[...]`). `AsyncGenerator[str, None]` is a
valid annotation in Python, but truss rejects it as an unsupported type.
"""
    fix = "Annotate the return type as `AsyncIterator[<item type>]`."
    bad = """
from collections.abc import AsyncGenerator

import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, n: int) -> AsyncGenerator[str, None]:
        for i in range(n):
            yield str(i)
"""
    good = RunRemoteYieldsWithoutStreamType.good
    profiles = frozenset({"truss"})

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        stream = _returned_stream(ctx, endpoint)
        if stream is None or stream.head not in _GENERATORS:
            return
        iterator = "AsyncIterator" if stream.kind is StreamKind.ASYNC else "Iterator"
        annotation = endpoint.function.returns
        assert annotation is not None
        yield (
            annotation.span,
            (
                f"truss does not accept `{annotation.text}` as a return type; annotate the stream "
                f"as `{iterator}[{_item_text(stream.annotation)}]`"
            ),
        )


RULES: tuple[type[Rule], ...] = (
    RunRemoteMissing,
    RunRemoteNotPlainMethod,
    RunRemoteSelf,
    RunRemoteParamAnnotation,
    RunRemoteReturnAnnotation,
    RunRemoteVariadic,
    RunRemotePositionalOnly,
    RunRemotePrivateParamName,
    RunRemoteParamShadowsBaseModel,
    RunRemoteSync,
    RunRemoteYieldsWithoutStreamType,
    RunRemoteStreamTypeWithoutYield,
    RunRemoteStreamKindMismatch,
    TrussSyncStreaming,
    TrussGeneratorReturnType,
)
