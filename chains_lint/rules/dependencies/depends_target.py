"""Rules about the chainlet passed to ``depends()`` (CH401-CH403)."""

from __future__ import annotations

import difflib
from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.types import DependencyInfo, StaticValue
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.own_inits import own_dependencies
from chains_lint.rules.dependencies.target_resolution import Target, TargetKind, resolve_target


def _resolved_dependencies(ctx: RuleContext) -> Iterator[tuple[DependencyInfo, Target]]:
    """The linted module's own ``depends()`` parameters, each with what its target is."""
    for _, dependency in own_dependencies(ctx):
        yield dependency, resolve_target(ctx.model, ctx.module, dependency)


class DependsTargetUndefinedRule(Rule):
    code = "CH401"
    name = "depends-target-undefined"
    summary = "Reports `depends(X)` where `X` is not defined anywhere."
    why = "The file fails with a `NameError` when it is imported, so the chain cannot deploy."
    fix = "Name a chainlet class defined in the file or imported from a local module."
    bad = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHelo)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    bad_span = (11, 61, 11, 68)
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
        for dependency, target in _resolved_dependencies(ctx):
            if target.kind is not TargetKind.UNDEFINED:
                continue
            assert dependency.target is not None
            yield self.diagnostic(
                dependency.target.span, _undefined_message(ctx, dependency.target, target)
            )


def _undefined_message(ctx: RuleContext, written: StaticValue, target: Target) -> str:
    name = written.text
    owner = target.where
    if owner is None:
        # On a name clash, prefer the chainlet of the linted module (it comes last).
        ordered = sorted(ctx.model.chainlets.values(), key=lambda c: c.module is ctx.module)
        candidates = {c.name: c for c in ordered}
        problem = f"`{name}` is not defined"
    else:
        candidates = {c.name: c for c in ctx.model.chainlets_in(owner)}
        problem = f"`{name}` is not defined in `{owner.name}`"
    last = name.rpartition(".")[2]
    close = difflib.get_close_matches(last, sorted(candidates), n=1)
    if not close:
        return (
            f"{problem}; pass a chainlet class defined in this file or imported from a "
            "local module"
        )
    suggestion = candidates[close[0]]
    prefix = name.rpartition(".")[0]
    spelled = f"{prefix}.{suggestion.name}" if prefix else suggestion.name
    in_scope = ctx.model.namespace.canonical(ctx.module.qualify(suggestion.name))
    if owner is not None or in_scope == suggestion.qualified:
        return f"{problem}; did you mean `{spelled}`?"
    return (
        f"{problem}; did you mean `{suggestion.name}` (defined in `{suggestion.module.name}`; "
        f"import it with `from {suggestion.module.name} import {suggestion.name}`)?"
    )


class DependsTargetNotChainletRule(Rule):
    code = "CH402"
    name = "depends-target-not-chainlet"
    summary = "Reports `depends(X)` where `X` exists but is not a chainlet class."
    why = (
        "`depends` injects another chainlet; given a plain class, a function or a builtin "
        "the framework rejects the chainlet when the file is imported."
    )
    fix = (
        "Pass a chainlet class (a subclass of `chains.ChainletBase`), or turn `X` into one. "
        "Plain helpers are created in `__init__` instead."
    )
    bad = """
import truss_chains as chains


class Greeter:
    def greet(self, name: str) -> str:
        return f"Hello, {name}"


class HelloAll(chains.ChainletBase):
    def __init__(self, greeter: Greeter = chains.depends(Greeter)) -> None:
        self._greeter = greeter

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join(self._greeter.greet(n) for n in names)
"""
    bad_span = (10, 58, 10, 65)
    good = """
import truss_chains as chains


class Greeter:
    def greet(self, name: str) -> str:
        return f"Hello, {name}"


class HelloAll(chains.ChainletBase):
    def __init__(self) -> None:
        self._greeter = Greeter()

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join(self._greeter.greet(n) for n in names)
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for dependency, target in _resolved_dependencies(ctx):
            if target.kind is not TargetKind.NOT_CHAINLET:
                continue
            assert dependency.target is not None
            name = dependency.target.text
            yield self.diagnostic(
                dependency.target.span,
                f"`depends` needs a chainlet class, but `{name}` is {target.what}; pass a "
                f"subclass of `ChainletBase`, or create `{name}` in `__init__` instead",
            )


class DependsTargetInvalidRule(Rule):
    code = "CH403"
    name = "depends-target-invalid"
    summary = (
        "Reports `depends()` without a chainlet, or with something other than a class name."
    )
    why = (
        "`depends` needs the chainlet class itself as its first argument. Without it the "
        "call fails; a string, a call or any other expression is not a class, and cannot "
        "be resolved without running the code."
    )
    fix = "Pass the chainlet class by name: `chains.depends(SayHello)`."
    bad = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends("SayHello")) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    bad_span = (11, 61, 11, 71)
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
        for dependency, target in _resolved_dependencies(ctx):
            if target.kind is TargetKind.MISSING:
                yield self.diagnostic(
                    dependency.span,
                    f"`depends()` for `{dependency.param.name}` names no chainlet; pass the "
                    "chainlet class, e.g. `depends(SayHello)`",
                )
            elif target.kind is TargetKind.NOT_A_NAME:
                yield self.diagnostic(
                    dependency.target.span if dependency.target else dependency.span,
                    _not_a_name_message(ctx, dependency.target),
                )


def _not_a_name_message(ctx: RuleContext, target: StaticValue | None) -> str:
    if target is None:
        return (
            "`depends(*...)` unpacks its arguments, so the chainlet cannot be seen; pass "
            "the chainlet class directly, e.g. `depends(SayHello)`"
        )
    if isinstance(target.literal, str):
        named = ctx.model.chainlet_for(ctx.module.qualify(target.literal))
        if named is not None or target.literal.isidentifier():
            return (
                f"`depends` takes the chainlet class, not its name as a string; write "
                f"`depends({target.literal})`"
            )
    return (
        f"the first argument of `depends` must be a chainlet class, got `{target.text}`; "
        "pass the class by name, e.g. `depends(SayHello)`"
    )
