"""Entrypoint rules (CH301-CH349): which chainlet a chain file starts from."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.model import sdk
from chains_lint.model.builder import chainlet_bases
from chains_lint.model.module import ModuleInfo
from chains_lint.model.sdk import is_sdk_module_name
from chains_lint.model.types import Chainlet, ClassInfo, Decorator, FunctionInfo
from chains_lint.model.values import dotted_name
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies import definitely_not_chainlet, dependency_targets


def _entrypoint_decorators(ctx: RuleContext, decorators: tuple[Decorator, ...]) -> list[Decorator]:
    namespace = ctx.model.namespace
    return [d for d in decorators if namespace.sdk_symbol(d.qualified) == sdk.MARK_ENTRYPOINT]


def _by_position(chainlets: list[Chainlet]) -> list[Chainlet]:
    return sorted(chainlets, key=lambda c: (c.cls.span.line, c.cls.span.column))


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
    bad = """
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
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    good = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        marks = [
            (chainlet, decorator)
            for chainlet in _by_position(ctx.chainlets)
            for decorator in _entrypoint_decorators(ctx, chainlet.cls.decorators)
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


class EntrypointArgumentsRule(Rule):
    code = "CH302"
    name = "entrypoint-bad-arguments"
    summary = (
        "Reports `mark_entrypoint` called with anything but one string, the chain name."
    )
    why = (
        "`mark_entrypoint` is used bare (`@chains.mark_entrypoint`) or with the chain's "
        "display name (`@chains.mark_entrypoint(\"My Chain\")`). Keyword arguments, several "
        "arguments, empty parentheses or a value that is not a string fail when the file "
        "is imported."
    )
    fix = (
        "Write `@chains.mark_entrypoint` without parentheses, or pass the chain name as a "
        "single string: `@chains.mark_entrypoint(\"My Chain\")`."
    )
    bad = """
import truss_chains as chains


@chains.mark_entrypoint(name="Greeter")
class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""
    good = """
import truss_chains as chains


@chains.mark_entrypoint("Greeter")
class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for decorator in _module_entrypoint_decorators(ctx):
            problem = _argument_problem(decorator)
            if problem is not None:
                yield self.diagnostic(decorator.span, problem)


def _argument_problem(decorator: Decorator) -> str | None:
    call = decorator.call
    if call is None:
        return None
    written = decorator.written
    if call.has_star_args:
        return (
            f"`@{written}(...)` unpacks its arguments, so the chain name cannot be seen; "
            f'pass the name as one string: `@{written}("My Chain")`'
        )
    if call.kwargs:
        keyword = call.kwargs[0][0]
        return (
            f"`@{written}` takes no keyword argument `{keyword}`; pass the chain name "
            f'positionally: `@{written}("My Chain")`'
        )
    if not call.args:
        return (
            f"`@{written}()` has empty parentheses; write `@{written}` without them, "
            f'or pass the chain name: `@{written}("My Chain")`'
        )
    if len(call.args) > 1:
        return (
            f"`@{written}` takes one argument, the chain name, but got {len(call.args)}; "
            f'pass a single string: `@{written}("My Chain")`'
        )
    value = call.args[0]
    if value.is_literal and not isinstance(value.literal, str):
        return (
            f"the chain name `{value.text}` is not a string; pass a string: "
            f'`@{written}("My Chain")`'
        )
    return None


def _module_entrypoint_decorators(ctx: RuleContext) -> Iterator[Decorator]:
    for cls in ctx.module.all_classes():
        yield from _entrypoint_decorators(ctx, cls.decorators)
    for _, function in _module_functions(ctx.module):
        yield from _entrypoint_decorators(ctx, function.decorators)


def _module_functions(module: ModuleInfo) -> Iterator[tuple[ClassInfo | None, FunctionInfo]]:
    for function in module.functions.values():
        yield None, function
    for cls in module.all_classes():
        for method in cls.methods.values():
            yield cls, method


class EntrypointNameNotLiteralRule(Rule):
    code = "CH303"
    name = "entrypoint-name-not-literal"
    severity = Severity.WARNING
    summary = "Reports a chain name given to `mark_entrypoint` that is not a literal string."
    why = (
        "The chain name is read statically (by the linter and the build), without running "
        "the file. A name computed at import time cannot be seen, so the chain gets a "
        "different name than the one the code suggests."
    )
    fix = (
        "Pass a string literal, or a module-level constant bound to one: "
        '`@chains.mark_entrypoint("My Chain")`.'
    )
    bad = """
import os

import truss_chains as chains


@chains.mark_entrypoint(os.environ["CHAIN_NAME"])
class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""
    good = """
import truss_chains as chains

CHAIN_NAME = "Greeter"


@chains.mark_entrypoint(CHAIN_NAME)
class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for decorator in _module_entrypoint_decorators(ctx):
            call = decorator.call
            if call is None or call.kwargs or call.has_star_args or len(call.args) != 1:
                continue
            value = call.args[0]
            if not value.is_literal:
                yield self.diagnostic(
                    value.span,
                    f"the chain name `{value.text}` is not a literal, so it cannot be read "
                    'without running the file; use a string literal, e.g. '
                    f'`@{decorator.written}("My Chain")`',
                )


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
            marks = _entrypoint_decorators(ctx, cls.decorators)
            if not marks or chainlet_bases(namespace, cls) is not None:
                continue
            if definitely_not_chainlet(namespace, cls):
                yield self.diagnostic(
                    marks[0].span,
                    f"`{cls.name}` is not a chainlet, so it cannot be an entrypoint; derive "
                    f"it from `ChainletBase` or move `@{marks[0].written}` to a chainlet",
                )
        for owner, function in _module_functions(ctx.module):
            marks = _entrypoint_decorators(ctx, function.decorators)
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


class MissingEntrypointRule(Rule):
    code = "CH305"
    name = "missing-entrypoint"
    summary = (
        "Reports a chain file with several chainlets, none marked as entrypoint, that no "
        "other file imports."
    )
    why = (
        "With more than one chainlet in the file and no `@mark_entrypoint`, the deploy "
        "cannot tell which chainlet the chain starts from. (A file with a single chainlet "
        "uses it as the entrypoint; a module whose chainlets are imported by a chain file "
        "elsewhere is a library and needs no entrypoint.)"
    )
    fix = (
        "Mark the chainlet the chain starts from, usually the one no other chainlet "
        "depends on, with `@chains.mark_entrypoint`."
    )
    bad = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    good = MultipleEntrypointsRule.good

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        own = _by_position(ctx.chainlets)
        if len(own) < 2 or any(c.entrypoint is not None for c in own):
            return
        if ctx.analysis.is_imported(ctx.module):
            return
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
            f"{advice} with `@mark_entrypoint`",
        )


def _roots(ctx: RuleContext, own: list[Chainlet]) -> list[Chainlet]:
    """The chainlets of ``own`` that no chainlet in the model depends on."""
    depended_on = {
        target for chainlet in ctx.model.chainlets.values()
        for target in dependency_targets(chainlet) if target != chainlet.qualified
    }
    return [c for c in own if c.qualified not in depended_on]


class TrussImportedChainletsRule(Rule):
    code = "CH306"
    name = "truss-entrypoint-ambiguous-imports"
    profiles = frozenset({"truss"})
    summary = (
        "Reports a chain file whose entrypoint truss would pick wrongly because chainlet "
        "classes (or `ChainletBase` itself) are imported into it by name."
    )
    why = (
        "truss looks for the entrypoint among every chainlet class bound to a name in the "
        "chain file, including classes imported with `from ... import`, and "
        "`ChainletBase` itself. So a file with a single, unmarked chainlet that also does "
        "`from truss_chains import ChainletBase` has two candidates and no entrypoint, and "
        "an imported chainlet marked as entrypoint elsewhere becomes this chain's "
        "entrypoint (or a second one)."
    )
    fix = (
        "Mark this file's entrypoint explicitly with `@chains.mark_entrypoint`, and import "
        "modules (`import truss_chains as chains`, `import lib`) rather than chainlet "
        "classes, or remove `@mark_entrypoint` from the imported chainlet."
    )
    bad = """
from truss_chains import ChainletBase


class SayHello(ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""
    good = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        own = _by_position(ctx.chainlets)
        if not own or ctx.analysis.is_imported(ctx.module):
            return
        imported = _imported_chainlets(ctx)
        if not imported:
            return
        own_marked = [c for c in own if c.entrypoint is not None]
        marked_imports = [i for i in imported if i.chainlet and i.chainlet.entrypoint]
        for found in marked_imports:
            assert found.chainlet is not None
            home = found.chainlet.module.name
            consequence = (
                f"a second entrypoint besides `{own_marked[0].name}`, and the deploy fails"
                if own_marked
                else "the entrypoint of this chain instead of a chainlet of this file"
            )
            yield self.diagnostic(
                found.span,
                f"`{found.local}` is imported by name and marked as entrypoint in `{home}`, "
                f"so truss makes it {consequence}; import its module instead "
                f"(`import {home}`) or remove its `@mark_entrypoint`",
            )
        if own_marked or marked_imports or len(own) != 1:
            return
        first = imported[0]
        yield self.diagnostic(
            first.span,
            f"truss counts `{first.local}`, imported by name, as a chainlet of this file, so "
            f"it cannot tell whether `{first.local}` or `{own[0].name}` is the entrypoint; "
            f"mark `{own[0].name}` with `@mark_entrypoint` (or import the module instead)",
        )


@dataclass(frozen=True)
class _ImportedChainlet:
    local: str  # the name bound in the chain file
    chainlet: Chainlet | None  # None: ``ChainletBase`` itself
    span: Span


def _imported_chainlets(ctx: RuleContext) -> list[_ImportedChainlet]:
    """Chainlet classes bound to names of the file by ``from x import ...``."""
    namespace = ctx.model.namespace
    module = ctx.module
    found: list[_ImportedChainlet] = []
    for local, qualified in module.imports.items():
        if local in module.classes or "." not in qualified:
            continue
        if namespace.sdk_symbol(qualified) == sdk.CHAINLET_BASE:
            found.append(_ImportedChainlet(local, None, _import_span(module, local)))
            continue
        chainlet = ctx.model.chainlet_for(namespace.canonical(qualified))
        if chainlet is not None and chainlet.module is not module:
            found.append(_ImportedChainlet(local, chainlet, _import_span(module, local)))
    for statement in _sdk_star_imports(module):
        found.append(_ImportedChainlet(sdk.CHAINLET_BASE, None, module.span_of(statement)))
    return found


def _sdk_star_imports(module: ModuleInfo) -> list[cst.ImportFrom]:
    """``from truss_chains import *`` statements at the top level of ``module``."""
    if module.tree is None:
        return []
    found: list[cst.ImportFrom] = []
    for statement in module.tree.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.ImportFrom)
                and isinstance(small.names, cst.ImportStar)
                and small.module is not None
                and is_sdk_module_name(dotted_name(small.module) or "")
            ):
                found.append(small)
    return found


def _import_span(module: ModuleInfo, local: str) -> Span:
    qualified = module.imports.get(local, "")
    for imported in module.imported_modules:
        if imported.name == qualified:
            return imported.span
    return Span(module.display_path, 1, 1, 1, 1)


RULES: tuple[type[Rule], ...] = (
    MultipleEntrypointsRule,
    EntrypointArgumentsRule,
    EntrypointNameNotLiteralRule,
    EntrypointNotChainletRule,
    MissingEntrypointRule,
    TrussImportedChainletsRule,
)
