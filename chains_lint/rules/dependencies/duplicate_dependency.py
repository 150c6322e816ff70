"""CH412 (truss): one chainlet class injected through two ``__init__`` parameters."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.types import DependencyInfo
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.own_inits import own_init_chainlets


class DuplicateDependencyRule(Rule):
    code = "CH412"
    name = "duplicate-dependency"
    profiles = frozenset({"truss"})
    summary = "Reports the same chainlet class injected into two `__init__` parameters."
    why = (
        "truss rejects a chainlet whose `__init__` depends on one chainlet class through "
        "two parameters; both would be the same remote service anyway."
    )
    fix = "Keep one parameter for the dependency and use it everywhere."
    bad = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloTwice(chains.ChainletBase):
    def __init__(
        self,
        first: SayHello = chains.depends(SayHello),
        second: SayHello = chains.depends(SayHello, retries=3),
    ) -> None:
        self._first = first
        self._second = second

    async def run_remote(self, name: str) -> str:
        return await self._first.run_remote(name) + await self._second.run_remote(name)
"""
    bad_span = (14, 28, 14, 63)
    good = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloTwice(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello, retries=3)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> str:
        return await self._say_hello.run_remote(name) + await self._say_hello.run_remote(name)
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet in own_init_chainlets(ctx):
            first: dict[str, DependencyInfo] = {}
            for dependency in chainlet.dependencies:
                target = ctx.model.chainlet_for(dependency.target_qualified)
                if target is None:
                    continue
                earlier = first.setdefault(target.qualified, dependency)
                if earlier is dependency:
                    continue
                yield self.diagnostic(
                    dependency.span,
                    f"`{target.name}` is already injected as `{earlier.param.name}`; truss "
                    f"allows one parameter per chainlet class: remove `{dependency.param.name}`"
                    f" and use `{earlier.param.name}`",
                    related=(earlier.span,),
                )
