"""All rules, by code."""

from __future__ import annotations

from chains_lint.rules import (
    baseten_only,
    calls,
    dependencies,
    entrypoint,
    io_types,
    remote_config,
    run_remote,
    secrets,
    syntax,
    undefined_names,
)
from chains_lint.rules.base import Rule

ALL_RULES: tuple[type[Rule], ...] = (
    *syntax.RULES,
    *baseten_only.RULES,
    *undefined_names.RULES,
    *run_remote.RULES,
    *io_types.RULES,
    *entrypoint.RULES,
    *dependencies.RULES,
    *calls.RULES,
    *secrets.RULES,
    *remote_config.RULES,
)

RULES_BY_CODE: dict[str, type[Rule]] = {rule.code: rule for rule in ALL_RULES}

if len(RULES_BY_CODE) != len(ALL_RULES):  # pragma: no cover - guards against a typo
    raise RuntimeError("two rules share a code")


def rule_for(code: str) -> type[Rule] | None:
    return RULES_BY_CODE.get(code.upper())
