"""CH414: ``depends(X)`` on a chainlet defined further down the same file."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.source_order import class_position
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.own_inits import own_dependencies


class DependsBeforeDefinitionRule(Rule):
    code = "CH414"
    name = "depends-before-definition"
    summary = (
        "Reports `depends(X)` where chainlet `X` is defined further down the same file."
    )
    why = (
        "A parameter default is evaluated when the `def` runs, while the class body of the "
        "depending chainlet executes; `X` does not exist yet, so importing the file fails "
        "with a `NameError`."
    )
    fix = "Define the dependency's class above the chainlet that depends on it."
    bad = """
import truss_chains as chains


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: "SayHello" = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""
    bad_span = (6, 63, 6, 71)
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
        for chainlet, dependency in own_dependencies(ctx):
            target = ctx.model.chainlet_for(dependency.target_qualified)
            if target is None or target is chainlet or target.module is not ctx.module:
                continue
            if dependency.target is None or "." in dependency.target.text:
                continue
            if class_position(target) <= class_position(chainlet):
                continue
            yield self.diagnostic(
                dependency.target.span,
                f"`{target.name}` is defined below `{chainlet.name}` (line "
                f"{target.cls.span.line}), so `depends({dependency.target.text})` raises "
                f"`NameError` when the file is imported; move `class {target.name}` above "
                f"`class {chainlet.name}`",
                related=(target.cls.span,),
            )
