"""CH301: more than one chainlet marked with ``@mark_entrypoint``."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.source_order import in_source_order
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.entrypoint.marks import entrypoint_decorators


class MultipleEntrypointsRule(Rule):
    code = "CH301"
    name = "multiple-entrypoints"
    summary = "Reports a chain file that marks more than one chainlet with `@mark_entrypoint`."
    why = (
        "A chain file deploys one chain, which starts at one entrypoint. With several "
        "marked chainlets the deploy cannot tell which one the chain's endpoint calls, "
        "and fails."
    )
    fix = (
        "Keep `@chains.mark_entrypoint` on the chainlet the chain's callers call, and "
        "remove it from the others (they are reached through `chains.depends`)."
    )
    bad = r"""
import truss_chains as chains


@chains.mark_entrypoint
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
    bad_span = (10, 1, 10, 24)
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
        marks = [
            (chainlet, decorator)
            for chainlet in in_source_order(ctx.chainlets)
            for decorator in entrypoint_decorators(ctx, chainlet.cls.decorators)
        ]
        if len(marks) < 2:
            return
        first_chainlet, first_mark = marks[0]
        for chainlet, decorator in marks[1:]:
            if chainlet is first_chainlet:
                message = (
                    f"`{chainlet.name}` is marked with `@{decorator.written}` twice; "
                    "remove the repeated decorator"
                )
            else:
                message = (
                    f"`{chainlet.name}` is marked as entrypoint, but `{first_chainlet.name}` "
                    f"(line {first_mark.span.line}) already is; a chain file has exactly one "
                    "entrypoint: keep one `@mark_entrypoint` and remove the others"
                )
            yield self.diagnostic(decorator.span, message, related=(first_mark.span,))
