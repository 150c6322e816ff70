"""The linted module's chainlets that define ``__init__`` themselves, and their parameters."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.model.types import Chainlet, DependencyInfo, Param
from chains_lint.rules.base import RuleContext


def own_init_chainlets(ctx: RuleContext) -> list[Chainlet]:
    """Chainlets of the linted module that define ``__init__`` themselves."""
    return [
        c for c in ctx.chainlets
        if c.init is not None and c.cls.methods.get("__init__") is c.init
    ]


def own_dependencies(ctx: RuleContext) -> Iterator[tuple[Chainlet, DependencyInfo]]:
    """Every ``depends()`` parameter of those ``__init__`` methods, with its chainlet."""
    for chainlet in own_init_chainlets(ctx):
        for dependency in chainlet.dependencies:
            yield chainlet, dependency


def init_params(chainlet: Chainlet) -> list[Param]:
    """``__init__`` parameters after ``self``."""
    assert chainlet.init is not None
    params = list(chainlet.init.params)
    if params and params[0].kind in ("positional_only", "positional_or_keyword"):
        params = params[1:]
    return params
