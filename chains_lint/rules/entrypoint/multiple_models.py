"""CH308: a chain file that defines more than one ``ModelBase``."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.source_order import in_source_order
from chains_lint.rules.base import Rule, RuleContext


class MultipleModelsRule(Rule):
    code = "CH308"
    name = "multiple-models"
    summary = "Reports a file that defines more than one `ModelBase` subclass."
    why = (
        "A `ModelBase` is a deployment of its own and its file's entrypoint: truss refuses "
        "a file with several (\"Multiple Model classes ... but only one allowed\"), and "
        "`chains-build` would build only the first."
    )
    fix = "Put each model in a file of its own (or make one of them a `ChainletBase`)."
    bad = """
import truss_chains as chains


class Classifier(chains.ModelBase):
    async def predict(self, text: str) -> int:
        return len(text)


class Embedder(chains.ModelBase):
    async def predict(self, text: str) -> list[float]:
        return [float(len(text))]
"""
    bad_span = (9, 7, 9, 15)
    good = """
import truss_chains as chains


class Classifier(chains.ModelBase):
    async def predict(self, text: str) -> int:
        return len(text)
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        models = [c for c in in_source_order(ctx.chainlets) if c.is_model]
        if len(models) < 2:
            return
        first = models[0]
        for model in models[1:]:
            yield self.diagnostic(
                model.cls.span,
                f"model `{model.name}` is another `ModelBase` in this file besides "
                f"`{first.name}` (line {first.cls.span.line}); a file deploys one model: move "
                "each to a file of its own",
                related=(first.cls.span,),
            )
