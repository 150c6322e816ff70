"""``# noqa`` and ``# noqa: CODE`` comments suppress diagnostics on their line."""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

import pytest

from chains_lint.diagnostics import Diagnostic
from chains_lint.rules.base import Rule
from chains_lint.rules.registry import ALL_RULES
from tests.lint_helpers import codes, lint_text
from tests.test_cli import BAD_CHAIN, BAD_LINE

NOQA_FORMS_THAT_SUPPRESS = [
    "# noqa",
    "# noqa: CH001",
    "#noqa:CH001",
    "# NOQA: ch001",
    "# noqa: E501, CH001",
    "# noqa:CH101,CH001  (reason)",
]
NOQA_FORMS_THAT_KEEP = [
    "# noqa: CH002",
    "# noqa: E501",
    "# noqa: CH0",  # codes are exact, as in ruff: no prefixes
    "# no qa",
]


def _with_comment(source: str, line: int, comment: str) -> str:
    lines = source.lstrip("\n").split("\n")
    lines[line - 1] = f"{lines[line - 1]}  {comment}"
    return "\n".join(lines)


@pytest.mark.parametrize("comment", NOQA_FORMS_THAT_SUPPRESS)
def test_noqa_forms_that_suppress(tmp_path: Path, comment: str) -> None:
    assert codes(lint_text(tmp_path, BAD_CHAIN)) == ["CH001"]
    assert lint_text(tmp_path, _with_comment(BAD_CHAIN, BAD_LINE, comment)) == []


@pytest.mark.parametrize("comment", NOQA_FORMS_THAT_KEEP)
def test_noqa_forms_that_keep_the_diagnostic(tmp_path: Path, comment: str) -> None:
    assert codes(lint_text(tmp_path, _with_comment(BAD_CHAIN, BAD_LINE, comment))) == ["CH001"]


def test_noqa_on_another_line_does_not_suppress(tmp_path: Path) -> None:
    source = _with_comment(BAD_CHAIN, BAD_LINE - 1, "# noqa")
    assert codes(lint_text(tmp_path, source)) == ["CH001"]


def _noqa_cases() -> list[tuple[type[Rule], str]]:
    return [(rule, profile) for rule in ALL_RULES for profile in sorted(rule.profiles)]


@pytest.mark.parametrize("case", _noqa_cases(), ids=[f"{r.code}-{p}" for r, p in _noqa_cases()])
def test_noqa_code_suppresses_each_rule_at_its_line(
    case: tuple[type[Rule], str], tmp_path: Path
) -> None:
    """For every rule: `# noqa: CODE` on a reported line removes that report, and only it."""
    rule, profile = case
    files = {"chain.py": rule.bad} if isinstance(rule.bad, str) else dict(rule.bad)
    before = lint_text(tmp_path / "before", files, profile=profile)  # type: ignore[arg-type]
    target = _first_noqa_target(before, rule.code, files["chain.py"])
    if target is None:
        pytest.skip(f"{rule.code}: no reported line can carry a comment")
    line = target.span.line
    commented = dict(
        files, **{"chain.py": _with_comment(files["chain.py"], line, f"# noqa: {rule.code}")}
    )
    after = lint_text(tmp_path / "after", commented, profile=profile)  # type: ignore[arg-type]
    assert (rule.code, line) not in {(d.code, d.span.line) for d in after}
    kept_before = {
        (d.code, d.span.line) for d in before if d.code != rule.code or d.span.line != line
    }
    assert kept_before <= {(d.code, d.span.line) for d in after}


def _first_noqa_target(found: list[Diagnostic], code: str, source: str) -> Diagnostic | None:
    """A diagnostic of ``code`` in chain.py whose line still parses with a comment added."""
    for diagnostic in found:
        if diagnostic.code != code or not diagnostic.span.path.endswith("chain.py"):
            continue
        commented = _with_comment(source, diagnostic.span.line, "# noqa")
        parses = code == "CH001" or (_parses(commented) and _parses(source))
        if parses and _comment_is_a_comment(commented, diagnostic.span.line):
            return diagnostic
    return None


def _parses(source: str) -> bool:
    try:
        ast.parse(source)
    except SyntaxError:
        return False
    return True


def _comment_is_a_comment(source: str, line: int) -> bool:
    """False when the line ends inside a string (the comment would be string text)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return True  # a syntax-error example: the comment is plain text on the line
    return any(t.type == tokenize.COMMENT and t.start[0] == line for t in tokens)
