"""CH304: ``@mark_entrypoint`` on something that is not a chainlet."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.builder import chainlet_bases
from chains_lint.model.non_chainlets import definitely_not_chainlet
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.entrypoint.marks import entrypoint_decorators, module_functions


class EntrypointNotChainletRule(Rule):
    code = "CH304"
    name = "entrypoint-not-chainlet"
    summary = "Reports `@mark_entrypoint` on a class that is not a chainlet, or on a function."
    why = (
        "Only a chainlet (a subclass of `ChainletBase`) can be a chain's entrypoint; "
        "marking anything else fails when the file is imported."
    )
    fix = (
        "Move `@chains.mark_entrypoint` to the chainlet the chain starts from, or make "
        "the class derive from `chains.ChainletBase`."
    )
    bad = """
import truss_chains as chains


@chains.mark_entrypoint
class Settings:
    greeting = "Hello"


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"{Settings.greeting}, {name}"
"""
    bad_span = (4, 1, 4, 24)
    good = """
import truss_chains as chains


class Settings:
    greeting = "Hello"


@chains.mark_entrypoint
class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"{Settings.greeting}, {name}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for cls in ctx.module.all_classes():
            marks = entrypoint_decorators(ctx, cls.decorators)
            if not marks or chainlet_bases(namespace, cls) is not None:
                continue
            if definitely_not_chainlet(namespace, cls):
                yield self.diagnostic(
                    marks[0].span,
                    f"`{cls.name}` is not a chainlet, so it cannot be an entrypoint; derive "
                    f"it from `ChainletBase` or move `@{marks[0].written}` to a chainlet",
                )
        for owner, function in module_functions(ctx.module):
            marks = entrypoint_decorators(ctx, function.decorators)
            if not marks:
                continue
            where = (
                f"method `{owner.name}.{function.name}`" if owner
                else f"function `{function.name}`"
            )
            yield self.diagnostic(
                marks[0].span,
                f"`@{marks[0].written}` decorates the {where}; only a chainlet "
                "class can be an entrypoint: move it to the chainlet the chain starts from",
            )
