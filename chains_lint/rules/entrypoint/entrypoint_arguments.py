"""The arguments of ``mark_entrypoint(...)``: CH302 (their shape) and CH303 (the name)."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.model.types import Decorator
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.entrypoint.marks import module_entrypoint_decorators


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
    bad_span = (4, 1, 4, 40)
    good = """
import truss_chains as chains


@chains.mark_entrypoint("Greeter")
class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for decorator in module_entrypoint_decorators(ctx):
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
    bad_span = (6, 25, 6, 49)
    good = """
import truss_chains as chains

CHAIN_NAME = "Greeter"


@chains.mark_entrypoint(CHAIN_NAME)
class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for decorator in module_entrypoint_decorators(ctx):
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
