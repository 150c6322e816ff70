"""CH305: several chainlets and no entrypoint, in a file no other file imports."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.dependency_graph import dependency_graph
from chains_lint.model.source_order import in_source_order
from chains_lint.model.types import Chainlet
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.examples import HELLO_CHAIN


class MissingEntrypointRule(Rule):
    code = "CH305"
    name = "missing-entrypoint"
    summary = (
        "Reports a chain file with several chainlets, none marked as entrypoint, that no "
        "other file imports."
    )
    why = (
        "With more than one chainlet in the file and no `@mark_entrypoint`, the deploy "
        "cannot tell which chainlet the chain starts from, unless every push names it on "
        "the command line (`truss chains push FILE NAME`). (A file with a single chainlet "
        "uses it as the entrypoint; a module whose chainlets are imported by a chain file "
        "elsewhere is a library and needs no entrypoint.)"
    )
    fix = (
        "Mark the chainlet the chain starts from, usually the one no other chainlet "
        "depends on, with `@chains.mark_entrypoint`."
    )
    bad = HELLO_CHAIN.replace("@chains.mark_entrypoint\n", "")
    good = HELLO_CHAIN

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        own = in_source_order(ctx.chainlets)
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
            f"{advice} with `@mark_entrypoint` (or name it in every push: "
            "`truss chains push FILE NAME`)",
        )


def _roots(ctx: RuleContext, own: list[Chainlet]) -> list[Chainlet]:
    """The chainlets of ``own`` that no chainlet in the model depends on."""
    depended_on = dependency_graph(ctx.model).depended_on
    return [c for c in own if c.qualified not in depended_on]
