"""CH116 and CH117: a chainlet's ``is_healthy``, the readiness check its server calls.

truss_chains (``_validate_health_check``) accepts only ``[async] def is_healthy(self) -> bool``;
chains_runtime's server calls ``is_healthy(instance)`` for its readiness probe. CH116 reports
what fails on both (no method to call with the instance alone); CH117 what only truss
rejects (optional parameters, a return annotation other than ``bool``).
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.model.types import Chainlet, ClassInfo, FunctionInfo, TypeKind
from chains_lint.rules.base import PROFILES, Rule, RuleContext
from chains_lint.rules.run_remote.endpoints import NOT_PLAIN_METHOD

HEALTH_CHECK = "is_healthy"
SELF = "self"
_BOOL = "builtins.bool"
_MAX_BASE_DEPTH = 16


def _own_health_checks(
    ctx: RuleContext,
) -> Iterator[tuple[Chainlet, ClassInfo, FunctionInfo | None, Span]]:
    """Each chainlet of the linted module with an ``is_healthy`` of its own or from a base
    that is not a chainlet (a chainlet base is checked itself): the class defining it, the
    method (None when it is not a ``def``) and where to report it (at the chainlet when
    inherited)."""
    for chainlet in ctx.chainlets:
        owner = _health_check_owner(ctx, chainlet.cls, depth=0)
        if owner is None:
            continue
        function = owner.methods.get(HEALTH_CHECK)
        if owner is not chainlet.cls:
            yield chainlet, owner, function, chainlet.cls.span
        elif function is not None:
            yield chainlet, owner, function, function.span
        else:
            yield chainlet, owner, None, owner.attributes[HEALTH_CHECK].span


def _health_check_owner(ctx: RuleContext, cls: ClassInfo, depth: int) -> ClassInfo | None:
    """The class ``is_healthy`` is found in, searching ``cls`` and its non-chainlet bases."""
    if HEALTH_CHECK in cls.methods or HEALTH_CHECK in cls.attributes:
        return cls
    if depth > _MAX_BASE_DEPTH:
        return None
    namespace = ctx.model.namespace
    for base in cls.bases:
        parent = namespace.find_class(namespace.base_head(cls, base))
        if parent is None or parent.qualified in ctx.model.chainlets:
            continue
        found = _health_check_owner(ctx, parent, depth + 1)
        if found is not None:
            return found
    return None


def _is_plain_value(owner: ClassInfo) -> bool:
    """Whether the class attribute ``is_healthy`` is a literal other than ``None`` (``True``,
    a string...); the server treats ``is_healthy = None`` as no health check."""
    value = owner.attributes[HEALTH_CHECK]
    return value.is_literal and value.literal is not None


def _via(chainlet: Chainlet, owner: ClassInfo) -> str:
    return "" if owner is chainlet.cls else f" (inherited by chainlet `{chainlet.name}`)"


class HealthCheckNotMethod(Rule):
    code = "CH116"
    name = "is-healthy-not-method"
    profiles = frozenset(PROFILES)
    summary = (
        "Reports an `is_healthy` that is not a method taking only `self`: a static or class "
        "method, a property, a plain attribute, or a method with required parameters."
    )
    why = """
The chainlet's server answers its readiness probe by calling
`is_healthy(chainlet)` on the instance, with no other argument. A static
method gets an unexpected argument, a property or an attribute is not
callable, and a required parameter has no value: the call fails, and the
chainlet is never reported ready. truss rejects such a chainlet when the file
is imported.
"""
    fix = (
        "Define `def is_healthy(self) -> bool:` (or `async def`) and read anything else it "
        "needs from `self`."
    )
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    def is_healthy(self, deep: bool) -> bool:
        return True

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 26, 5, 30)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    def is_healthy(self) -> bool:
        return True

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet, owner, function, span in _own_health_checks(ctx):
            subject = f"`{owner.name}.{HEALTH_CHECK}`" + _via(chainlet, owner)
            inherited = owner is not chainlet.cls
            if function is None:
                if not _is_plain_value(owner):
                    continue  # a lambda or another callable: the server can call it
                yield self.diagnostic(
                    span,
                    f"{subject} is an attribute, but the server calls it as a method; define "
                    f"`def {HEALTH_CHECK}(self) -> bool:`",
                )
                continue
            decorators = [d for d in function.decorators if d.qualified in NOT_PLAIN_METHOD]
            if decorators:
                yield self.diagnostic(
                    span if inherited else decorators[0].span,
                    f"{subject} is decorated with `@{decorators[0].written}`, but the server "
                    "calls it as a plain method on the chainlet instance; remove the decorator "
                    "and take `self` as the only parameter",
                )
                continue
            params = function.params
            if not params or params[0].name != SELF or params[0].kind in (
                "var_positional", "var_keyword", "keyword_only"
            ):
                where = params[0].span if params else function.span
                got = f"`{params[0].name}`" if params else "no parameter"
                yield self.diagnostic(
                    span if inherited else where,
                    f"{subject} must be a method with `self` as its first parameter, got {got}; "
                    f"write `def {HEALTH_CHECK}(self) -> bool:`",
                )
                continue
            required = [p for p in params[1:] if p.required]
            if required:
                names = ", ".join(f"`{p.name}`" for p in required)
                yield self.diagnostic(
                    span if inherited else required[0].span,
                    f"{subject} takes {names}, but the server calls it with `self` only, so "
                    f"the readiness check always fails; remove {names} and read what it needs "
                    "from `self`",
                )


class TrussHealthCheckSignature(Rule):
    code = "CH117"
    name = "truss-is-healthy-signature"
    profiles = frozenset({"truss"})
    summary = (
        "Reports an `is_healthy` with optional parameters besides `self`, whose return "
        "annotation is missing or is not `bool`, or that is `None` or a lambda (truss profile)."
    )
    why = """
truss_chains checks `is_healthy` when the chainlet class is defined: it must
take `self` only and be annotated `-> bool` exactly (not `Optional[bool]`, not
`int`), sync or async. Anything else makes the import of the chain file fail.
"""
    fix = "Write `def is_healthy(self) -> bool:` (or `async def`)."
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    async def is_healthy(self):
        return True

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 15, 5, 25)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    async def is_healthy(self) -> bool:
        return True

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet, owner, function, span in _own_health_checks(ctx):
            subject = f"`{owner.name}.{HEALTH_CHECK}`" + _via(chainlet, owner)
            inherited = owner is not chainlet.cls
            if function is None:
                value = owner.attributes[HEALTH_CHECK]
                if value.is_literal and value.literal is None:
                    yield self.diagnostic(
                        span,
                        f"{subject} is `None`; truss rejects any `{HEALTH_CHECK}` that is not a "
                        "method: remove the line to have no health check",
                    )
                elif isinstance(value.node, cst.Lambda):
                    yield self.diagnostic(
                        span,
                        f"{subject} is a lambda, which has no return "
                        f"annotation; truss requires `def {HEALTH_CHECK}(self) -> bool:`",
                    )
                continue
            if any(d.qualified in NOT_PLAIN_METHOD for d in function.decorators):
                continue  # CH116
            optional = [p for p in function.params[1:] if not p.required]
            if function.params and function.params[0].name == SELF and optional:
                names = ", ".join(f"`{p.name}`" for p in optional)
                yield self.diagnostic(
                    span if inherited else optional[0].span,
                    f"{subject} may take only `self`; truss rejects the other parameters "
                    f"({names}); remove them",
                )
            returns = function.returns
            if returns is None:
                yield self.diagnostic(
                    span,
                    f"{subject} has no return annotation; truss requires `-> bool`",
                )
            elif returns.kind is not TypeKind.NAME or (
                namespace.canonical(returns.qualified) or returns.qualified
            ) != _BOOL:
                yield self.diagnostic(
                    span if inherited else returns.span,
                    f"{subject} returns `{returns.text}`, but truss requires exactly `-> bool`",
                )
