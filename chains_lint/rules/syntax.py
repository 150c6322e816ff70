"""CH001: a file that does not parse."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.rules.base import Rule, RuleContext


class SyntaxErrorRule(Rule):
    code = "CH001"
    name = "syntax-error"
    summary = "Reports a file that Python cannot parse, at the line where parsing failed."
    why = "Nothing else in the file can be checked, and the chain cannot be deployed."
    fix = "Fix the syntax error at the reported position."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str
        return name
"""
    bad_span = (5, 49, 5, 49)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return name
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        error = ctx.module.parse_error
        if error is None:
            return
        span = Span(ctx.module.display_path, error.line, error.column, error.line, error.column)
        yield self.diagnostic(span, f"file does not parse: {error.message}")


RULES: tuple[type[Rule], ...] = (SyntaxErrorRule,)
