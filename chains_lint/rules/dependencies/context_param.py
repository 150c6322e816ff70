"""CH406: the ``context`` parameter of a chainlet's ``__init__``."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.model import sdk
from chains_lint.model.non_chainlets import NON_CHAINLET_MODULES
from chains_lint.model.types import Param, TypeExpr, TypeKind
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.markers import CONTEXT_NAME, former_marker_hint, marker
from chains_lint.rules.dependencies.own_inits import init_params, own_init_chainlets

_DEPLOYMENT_CONTEXT = "DeploymentContext"


class ContextParamInvalidRule(Rule):
    code = "CH406"
    name = "context-param-invalid"
    summary = (
        "Reports a misplaced, misnamed, repeated or badly typed `context` parameter of a "
        "chainlet's `__init__`."
    )
    why = (
        "The framework injects the deployment context only into a parameter named "
        "`context`, typed `DeploymentContext`, defaulting to `depends_context()`, that "
        "comes last. Any other shape is rejected when the file is imported."
    )
    fix = (
        "Declare it once, as the last parameter: "
        "`context: chains.DeploymentContext = chains.depends_context()`."
    )
    bad = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(
        self,
        context: chains.DeploymentContext = chains.depends_context(),
        say_hello: SayHello = chains.depends(SayHello),
    ) -> None:
        self._say_hello = say_hello
        self._data_dir = context.data_dir

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    bad_span = (13, 9, 13, 16)
    good = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(
        self,
        say_hello: SayHello = chains.depends(SayHello),
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        self._say_hello = say_hello
        self._data_dir = context.data_dir

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet in own_init_chainlets(ctx):
            for span, message in _context_problems(ctx, init_params(chainlet)):
                yield self.diagnostic(span, message)


_CONTEXT_EXAMPLE = "`context: chains.DeploymentContext = chains.depends_context()`"


def _context_problems(ctx: RuleContext, params: list[Param]) -> Iterator[tuple[Span, str]]:
    namespace = ctx.model.namespace
    contexts = [p for p in params if marker(namespace, p) == sdk.DEPENDS_CONTEXT]
    for extra in contexts[1:]:
        yield extra.span, (
            f"`{extra.name}` is a second context parameter; a chainlet gets one deployment "
            f"context: remove it and use `{contexts[0].name}`"
        )
    if contexts:
        first = contexts[0]
        if first.name != CONTEXT_NAME:
            yield first.span, (
                f"the context parameter is named `{first.name}`, but the framework only "
                f"fills one named `context`: rename it, {_CONTEXT_EXAMPLE}"
            )
        # Extra context parameters and ``**kwargs`` (reported elsewhere) cannot follow it.
        others = [p for p in params if p not in contexts[1:] and p.kind != "var_keyword"]
        if first is not others[-1]:
            yield first.span, (
                f"`{first.name}` must be the last `__init__` parameter; move it after "
                f"`{others[-1].name}`"
            )
        problem = _context_annotation_problem(ctx, first.annotation)
        if problem is not None:
            yield problem
    for param in params:
        if param.name != CONTEXT_NAME:
            continue
        kind = marker(namespace, param)
        if kind == sdk.DEPENDS:
            yield param.span, (
                "the name `context` is reserved for the deployment context; give this "
                "dependency another name"
            )
        elif kind is None:
            yield param.span, (
                f"`context` must default to `depends_context()` to receive the deployment "
                f"context{former_marker_hint(namespace, param)}: {_CONTEXT_EXAMPLE}"
            )


def _context_annotation_problem(
    ctx: RuleContext, annotation: TypeExpr | None
) -> tuple[Span, str] | None:
    if annotation is None:
        return None
    resolved = annotation.inner if annotation.kind is TypeKind.STRING else annotation
    if resolved is None or resolved.kind is not TypeKind.NAME or resolved.qualified is None:
        return None
    namespace = ctx.model.namespace
    qualified = namespace.canonical(resolved.qualified) or resolved.qualified
    symbol = namespace.sdk_symbol(qualified)
    if symbol == _DEPLOYMENT_CONTEXT:
        return None
    known = (
        symbol is not None
        or qualified.partition(".")[0] in NON_CHAINLET_MODULES
        or namespace.find_class(qualified) is not None
    )
    if not known:
        return None
    return annotation.span, (
        f"`context` is annotated `{annotation.text}`, but the framework injects a "
        f"`DeploymentContext`: annotate it `chains.DeploymentContext`"
    )
