"""The base of the rules that check each dependency call against its callee.

A call in a method inherited from a base chainlet is reported where it is
written when the base is in a linted file and sees the same call; otherwise
(the base's file is not linted, or the subclass injects a different
dependency) it is reported at the subclass, with the call as related location.
"""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.model.types import Chainlet, DependencyCall
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.calls.callee import Callee, callee_of
from chains_lint.rules.calls.location import linted_bases, located


class CallRule(Rule):
    """A rule over every dependency call of the linted file's chainlets."""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet in ctx.chainlets:
            for call in chainlet.dependency_calls:
                callee = callee_of(ctx, call)
                if callee is None:
                    continue
                problems = list(self.problems(ctx, call, callee))
                if not problems or _reported_by_base(ctx, chainlet, call):
                    continue
                for span, message in problems:
                    where, text, related = located(ctx, chainlet, span, call.method, message)
                    yield self.diagnostic(where, text, related)

    def problems(
        self, ctx: RuleContext, call: DependencyCall, callee: Callee
    ) -> Iterator[tuple[Span, str]]:
        raise NotImplementedError


def _reported_by_base(ctx: RuleContext, chainlet: Chainlet, call: DependencyCall) -> bool:
    """True when a linted base chainlet sees the same call to the same callee."""
    for base in linted_bases(ctx, chainlet):
        for other in base.dependency_calls:
            if (
                other.dependency.target_qualified == call.dependency.target_qualified
                and other.context == call.context
                and other.span == call.span
            ):
                return True
    return False
