"""The base of the CH25x rules: one kind of truss rejection each (truss profile)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.io_types.endpoint_types import truss_issues
from chains_lint.rules.io_types.truss_issues import TrussCheck
from chains_lint.rules.run_remote.endpoint_rule import report


class TrussRule(Rule):
    """Reports the truss rejections of one kind, for every endpoint of the linted module."""

    check_kind: ClassVar[TrussCheck]
    profiles = frozenset({"truss"})

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        seen: set[tuple[Span, str]] = set()
        for found in truss_issues(ctx):
            for issue in found.issues:
                if issue.check is not self.check_kind or (issue.span, issue.message) in seen:
                    continue
                seen.add((issue.span, issue.message))
                yield report(self, found.endpoint, issue.span, issue.message)
