"""CH305: several chainlets and no entrypoint, in a file no other file imports."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.dependency_graph import dependency_graph
from chains_lint.model.source_order import in_source_order
from chains_lint.model.types import Chainlet
from chains_lint.rules.base import Rule, RuleContext


class MissingEntrypointRule(Rule):
    code = "CH305"
    name = "missing-entrypoint"
    summary = (
        "Reports a chain file with several chainlets, none marked as entrypoint, that no "
        "other file imports."
    )
    why = (
        "With more than one chainlet in the file and no `@mark_entrypoint`, the deploy "
        "cannot tell which chainlet the chain starts from, unless every push names it on "
        "the command line (`truss chains push FILE NAME`; tell chains-lint with "
        "`--entrypoint NAME` or `entrypoint = \"NAME\"` in `[tool.chains-lint]`). "
        "(A file with a single chainlet "
        "uses it as the entrypoint; a module whose chainlets are imported by a chain file "
        "elsewhere is a library and needs no entrypoint.)"
    )
    fix = (
        "Mark the chainlet the chain starts from, usually the one no other chainlet "
        "depends on, with `@chains.mark_entrypoint`."
    )
    bad = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    bad_span = (4, 7, 4, 15)
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
        own = in_source_order(ctx.chainlets)
        if len(own) < 2 or any(c.entrypoint is not None or c.is_model for c in own):
            return
        if ctx.analysis.is_imported(ctx.module):
            return
        if ctx.entrypoint is not None and any(c.name == ctx.entrypoint for c in own):
            return  # pushed as `truss chains push FILE NAME`
        names = ", ".join(f"`{c.name}`" for c in own)
        roots = _roots(ctx, own)
        if len(roots) == 1:
            advice = f"mark `{roots[0].name}` (no other chainlet depends on it)"
        elif roots:
            advice = "mark the one the chain starts from, e.g. one no other chainlet " + (
                "depends on: " + ", ".join(f"`{c.name}`" for c in roots)
            )
        else:
            advice = "mark the one the chain starts from"
        yield self.diagnostic(
            own[0].cls.span,
            f"this file has {len(own)} chainlets ({names}) and none is marked as entrypoint; "
            f"{advice} with `@mark_entrypoint` (or name it in every push: "
            "`truss chains push FILE NAME`)",
        )


def _roots(ctx: RuleContext, own: list[Chainlet]) -> list[Chainlet]:
    """The chainlets of ``own`` that no chainlet in the model depends on."""
    depended_on = dependency_graph(ctx.model).depended_on
    return [c for c in own if c.qualified not in depended_on]
