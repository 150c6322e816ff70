"""CH404: ``depends()`` / ``depends_context()`` anywhere but an ``__init__`` default."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from chains_lint.diagnostics import Diagnostic
from chains_lint.model import sdk
from chains_lint.model.builder import chainlet_bases
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.call_sites import CallSite, call_sites
from chains_lint.rules.dependencies.markers import marker_called


class DependsOutsideInitRule(Rule):
    code = "CH404"
    name = "depends-outside-init"
    summary = (
        "Reports `depends()` or `depends_context()` used anywhere but as the default of a "
        "chainlet's `__init__` parameter."
    )
    why = (
        "Both are markers the framework reads from the `__init__` signature to inject a "
        "dependency or the deployment context. Anywhere else (a `run_remote` default, a "
        "class attribute, a method body, module level) they do nothing useful: the code "
        "gets the marker object instead of a chainlet, and fails when it uses it."
    )
    fix = (
        "Declare the dependency as an `__init__` parameter, "
        "`def __init__(self, say_hello: SayHello = chains.depends(SayHello))`, store it on "
        "`self`, and use it from `run_remote`."
    )
    bad = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    async def run_remote(
        self, names: list[str], say_hello: SayHello = chains.depends(SayHello)
    ) -> str:
        return "\n".join([await say_hello.run_remote(n) for n in names])
"""
    bad_span = (12, 55, 12, 79)
    good = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        allowed = _allowed_marker_calls(ctx)
        for site in call_sites(ctx.module):
            symbol = marker_called(ctx, site.name) if site.call not in allowed else None
            if symbol is None:
                continue
            if symbol == sdk.DEPENDS:
                usage = "`def __init__(self, say_hello: SayHello = chains.depends(SayHello))`"
            else:
                usage = (
                    "`def __init__(self, context: chains.DeploymentContext = "
                    "chains.depends_context())`"
                )
            yield self.diagnostic(
                ctx.module.span_of(site.call),
                f"`{site.name}()` is used {_where(ctx, site)}; it only works as the default "
                f"of a chainlet's `__init__` parameter: {usage}",
            )


def _allowed_marker_calls(ctx: RuleContext) -> set[cst.CSTNode]:
    allowed: set[cst.CSTNode] = set()
    namespace = ctx.model.namespace
    for cls in ctx.module.all_classes():
        init = cls.methods.get("__init__")
        if init is None or chainlet_bases(namespace, cls) is None:
            continue
        for param in init.params:
            if param.default is not None and isinstance(param.default.node, cst.Call):
                allowed.add(param.default.node)
    return allowed


def _where(ctx: RuleContext, site: CallSite) -> str:
    """Where the call is, for the message: "in the class body of `X`", "at module level"..."""
    enclosing = list(site.enclosing_nodes())
    function = next((n.name.value for n in enclosing if isinstance(n, cst.FunctionDef)), None)
    cls = next((n.name.value for n in enclosing if isinstance(n, cst.ClassDef)), None)
    param = next((n.name.value for n in enclosing if isinstance(n, cst.Param)), None)
    if param is not None and function is not None:
        described = f"`{function}` parameter `{param}`"
        if function != "__init__" or cls is None:
            return f"in the default of {described}"
        if cls in _chainlet_class_names(ctx):
            return f"nested inside the default of {described}"
        return f"in the default of {described} of `{cls}`, which is not a chainlet"
    if function is not None:
        return f"inside the body of `{function}`"
    if cls is not None:
        return f"in the class body of `{cls}`"
    return "at module level"


def _chainlet_class_names(ctx: RuleContext) -> set[str]:
    namespace = ctx.model.namespace
    return {
        c.name for c in ctx.module.all_classes() if chainlet_bases(namespace, c) is not None
    }
