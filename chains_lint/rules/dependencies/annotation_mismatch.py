"""CH413: a dependency parameter annotated with another chainlet than it receives."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.types import TypeKind
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.own_inits import own_dependencies


class DependencyAnnotationMismatchRule(Rule):
    code = "CH413"
    name = "dependency-annotation-mismatch"
    summary = (
        "Reports a dependency parameter annotated with a different chainlet than the one "
        "`depends()` injects."
    )
    why = (
        "The parameter receives the chainlet named in `depends(...)`; an annotation naming "
        "another chainlet misleads readers and type checkers, and truss rejects it."
    )
    fix = (
        "Annotate the parameter with the chainlet passed to `depends` (or a base class of "
        "it, or a `Protocol`)."
    )
    bad = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


class SayBye(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Bye, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayBye = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    bad_span = (16, 35, 16, 41)
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
        namespace = ctx.model.namespace
        for _, dependency in own_dependencies(ctx):
            target = ctx.model.chainlet_for(dependency.target_qualified)
            annotation = dependency.param.annotation
            if target is None or annotation is None:
                continue
            resolved = annotation.inner if annotation.kind is TypeKind.STRING else annotation
            if resolved is None or resolved.kind is not TypeKind.NAME:
                continue
            annotated = ctx.model.chainlet_for(namespace.canonical(resolved.qualified))
            if annotated is None or annotated is target:
                continue
            if annotated.qualified in target.chainlet_bases:
                continue
            yield self.diagnostic(
                annotation.span,
                f"`{dependency.param.name}` is annotated `{annotation.text}` but "
                f"`depends` injects `{target.name}`; annotate it `{target.name}`",
            )
