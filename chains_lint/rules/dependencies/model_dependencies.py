"""CH415: a ``ModelBase`` that declares dependencies in ``__init__``."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.own_inits import own_dependencies


class ModelDependencyRule(Rule):
    code = "CH415"
    name = "model-dependency"
    summary = "Reports a `ModelBase` whose `__init__` declares a `depends(...)` parameter."
    why = (
        "A `ModelBase` is a single-model deployment: its `__init__` takes only the optional "
        "`context=chains.depends_context()` argument. truss rejects a model with "
        "dependencies when the class is defined, and so does chains_runtime."
    )
    fix = (
        "Make the model a `ChainletBase` marked `@chains.mark_entrypoint` (its endpoint "
        "becomes `run_remote`), or move the work of the dependency into the model."
    )
    bad = """
import truss_chains as chains


class Tokenizer(chains.ChainletBase):
    async def run_remote(self, text: str) -> list[str]:
        return text.split()


class Classifier(chains.ModelBase):
    def __init__(self, tokenizer: Tokenizer = chains.depends(Tokenizer)) -> None:
        self._tokenizer = tokenizer

    async def predict(self, text: str) -> int:
        return len(await self._tokenizer.run_remote(text))
"""
    bad_span = (10, 47, 10, 72)
    good = """
import truss_chains as chains


class Classifier(chains.ModelBase):
    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._context = context

    async def predict(self, text: str) -> int:
        return len(text.split())
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet, dependency in own_dependencies(ctx):
            if chainlet.is_model:
                yield self.diagnostic(
                    dependency.span,
                    f"model `{chainlet.name}` declares the dependency `{dependency.param.name}`; "
                    "a `ModelBase` takes only the optional `context=chains.depends_context()` "
                    "argument: make it a `ChainletBase` with `@chains.mark_entrypoint` to call "
                    "other chainlets",
                )
