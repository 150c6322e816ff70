"""CH405: chainlet ``__init__`` parameters the framework has no value for."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.types import Chainlet, Param
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.markers import (
    CONTEXT_NAME,
    contains_marker_call,
    former_marker,
    former_marker_hint,
    marker,
)
from chains_lint.rules.dependencies.own_inits import init_params, own_init_chainlets


class InitParamNotDependencyRule(Rule):
    code = "CH405"
    name = "init-param-not-dependency"
    summary = (
        "Reports a chainlet `__init__` parameter that is neither a `depends()` dependency "
        "nor the `context`."
    )
    why = (
        "Chainlets are created by the framework, not by your code. It passes only the "
        "dependencies and the deployment context; any other parameter has no value when "
        "the chainlet starts, and the framework rejects the chainlet."
    )
    fix = (
        "Make the value a module-level constant or compute it in `__init__`; if it is "
        "another chainlet, give the parameter a `chains.depends(...)` default."
    )
    bad = """
import truss_chains as chains


class Generate(chains.ChainletBase):
    def __init__(self, model_name: str = "gpt2") -> None:
        self._model_name = model_name

    async def run_remote(self, prompt: str) -> str:
        return f"{self._model_name}: {prompt}"
"""
    bad_span = (5, 24, 5, 34)
    good = """
import truss_chains as chains

MODEL_NAME = "gpt2"


class Generate(chains.ChainletBase):
    def __init__(self) -> None:
        self._model_name = MODEL_NAME

    async def run_remote(self, prompt: str) -> str:
        return f"{self._model_name}: {prompt}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet in own_init_chainlets(ctx):
            for param in init_params(chainlet):
                if param.name == CONTEXT_NAME or marker(namespace, param) is not None:
                    continue
                if param.default is not None and contains_marker_call(ctx, param.default.node):
                    continue  # reported by CH404 at the nested call
                hint = former_marker_hint(namespace, param)
                message = _not_dependency_message(chainlet, param)
                if hint:
                    message = (
                        f"`{chainlet.name}.__init__` parameter `{param.name}` defaults to "
                        f"`{former_marker(namespace, param)}(...)`{hint}: write "
                        "`chains.depends(...)` to make it a dependency"
                    )
                yield self.diagnostic(param.span, message)


def _not_dependency_message(chainlet: Chainlet, param: Param) -> str:
    if param.kind == "var_positional":
        shown = f"*{param.name}"
    elif param.kind == "var_keyword":
        shown = f"**{param.name}"
    else:
        shown = param.name
    return (
        f"`{chainlet.name}.__init__` parameter `{shown}` is neither a dependency nor "
        "`context`, and the framework passes nothing else: remove it (use a constant or "
        "compute the value in `__init__`), or give it a default `chains.depends(OtherChainlet)`"
    )


