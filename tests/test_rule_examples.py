"""Every rule's documented examples run as tests: ``bad`` triggers it, ``good`` does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from chains_lint.rules.base import Rule, doc_text
from chains_lint.rules.registry import ALL_RULES
from tests.lint_helpers import codes, lint_text

CASES = [(rule, profile) for rule in ALL_RULES for profile in sorted(rule.profiles)]


def _id(case: tuple[type[Rule], str]) -> str:
    return f"{case[0].code}-{case[1]}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_bad_example_triggers_rule(case: tuple[type[Rule], str], tmp_path: Path) -> None:
    rule, profile = case
    found = codes(lint_text(tmp_path, rule.bad, profile=profile))  # type: ignore[arg-type]
    assert rule.code in found, f"{rule.code} bad example gave {found}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_good_example_is_clean(case: tuple[type[Rule], str], tmp_path: Path) -> None:
    rule, profile = case
    diagnostics = lint_text(tmp_path, rule.good, profile=profile)  # type: ignore[arg-type]
    assert diagnostics == [], f"{rule.code} good example gave {diagnostics}"


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_rule_metadata_is_complete(rule: type[Rule]) -> None:
    assert rule.code.startswith("CH") and rule.code[2:].isdigit()
    assert rule.name == rule.name.lower() and " " not in rule.name
    for text in (rule.summary, rule.why, rule.fix):
        assert text.strip()
    docs = doc_text(rule)
    assert "## Example" in docs and "## Use instead" in docs
