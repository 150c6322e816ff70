"""The README and the generated rule reference stay true."""

from __future__ import annotations

import re
from pathlib import Path

from chains_lint.docgen import rules_document, updated_readme
from chains_lint.rules.registry import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent


def _readme() -> str:
    return (ROOT / "README.md").read_text(encoding="utf-8")


def _readme_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", _readme(), re.S)
    assert block is not None, "README must start with a bash block of set-up commands"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_readme_starts_with_two_commands() -> None:
    commands = _readme_commands()
    assert len(commands) == 2
    assert "chains-lint" in commands[0]
    assert "pytest" in commands[1]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert _readme_commands()[1] in ci


def test_rules_reference_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == rules_document(), "run: python -m chains_lint.docgen"


def test_readme_rules_table_is_up_to_date() -> None:
    readme = _readme()
    assert updated_readme(readme) == readme, "run: python -m chains_lint.docgen"
    for rule in ALL_RULES:
        assert f"[{rule.code}]" in readme
