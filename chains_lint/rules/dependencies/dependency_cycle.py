"""CH410: chainlets that depend on each other in a cycle."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.dependency_graph import dependency_graph
from chains_lint.rules.base import Example, Rule, RuleContext


class DependencyCycleRule(Rule):
    code = "CH410"
    name = "dependency-cycle"
    summary = "Reports chainlets that depend on each other in a cycle (or on themselves)."
    why = (
        "Each chainlet needs its dependencies deployed and reachable before it starts; in a "
        "cycle none of them can be first, and local runs recurse forever."
    )
    fix = (
        "Break the cycle: move the shared work into a chainlet both depend on, or pass "
        "data through `run_remote` arguments and results instead of calling back."
    )
    bad: ClassVar[Example] = {
        "chain.py": """
import truss_chains as chains

import pong


@chains.mark_entrypoint
class Ping(chains.ChainletBase):
    def __init__(self, pong: "pong.Pong" = chains.depends(pong.Pong)) -> None:
        self._pong = pong

    async def run_remote(self, n: int) -> int:
        return await self._pong.run_remote(n - 1) if n else 0
""",
        "pong.py": """
import truss_chains as chains

import chain


class Pong(chains.ChainletBase):
    def __init__(self, ping: "chain.Ping" = chains.depends(chain.Ping)) -> None:
        self._ping = ping

    async def run_remote(self, n: int) -> int:
        return await self._ping.run_remote(n - 1) if n else 0
""",
    }
    bad_span = (8, 44, 8, 69)
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
        graph = dependency_graph(ctx.model)
        for component in graph.cycles_touching(ctx.module):
            local = sorted(
                (c for c in component if c.module is ctx.module),
                key=lambda c: (c.name, c.qualified),
            )
            path = graph.shortest_cycle(local[0], component)
            if not path:
                continue
            first_edge = path[0][1]
            names = [local[0].name] + [step[0].name for step in path]
            shown = " -> ".join(names)
            if len(path) == 1:
                message = (
                    f"`{local[0].name}` depends on itself (`{shown}`); remove this "
                    "dependency and call the method directly"
                )
            else:
                message = (
                    f"dependency cycle `{shown}`: chainlets cannot depend on each other in "
                    "a loop; remove one of these `depends(...)`"
                )
            related = tuple(step[1].span for step in path[1:])
            # An inherited __init__ may live in another file: then point at the class.
            span = first_edge.span
            if span.path != ctx.module.display_path:
                span = local[0].cls.span
            yield self.diagnostic(span, message, related=related)
