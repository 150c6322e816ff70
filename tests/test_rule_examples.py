"""Every rule's documented examples run as tests.

``bad`` is reported exactly once, at ``bad_span``, and ``good`` lints clean (as
Fixit's ``Invalid(..., range=...)`` and ``Valid``). The examples are literal text
in the rule's class, and ``--explain`` prints what docs/rules.md shows.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from chains_lint.cli import main
from chains_lint.rules.base import EXAMPLE_FILE, Profile, Rule, doc_text
from chains_lint.rules.registry import ALL_RULES
from chains_lint.rules.run_remote.annotations import RunRemoteParamAnnotation
from tests.lint_helpers import lint_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_ATTRIBUTES = ("bad", "bad_span", "good")

CASES = [(rule, profile) for rule in ALL_RULES for profile in sorted(rule.profiles)]


def _id(case: tuple[type[Rule], Profile]) -> str:
    return f"{case[0].code}-{case[1]}"


def bad_example_mismatch(rule: type[Rule], profile: Profile, folder: Path) -> str | None:
    """What is wrong with the findings of ``rule.bad``; None when it is reported at ``bad_span``."""
    found = [
        (Path(d.span.path).name, d.span.coordinates)
        for d in lint_text(folder, rule.bad, profile=profile)
        if d.code == rule.code
    ]
    expected = [(EXAMPLE_FILE, rule.bad_span)]
    if found == expected:
        return None
    return f"{rule.code} bad example ({profile}): expected {expected}, reported {found}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_bad_example_is_reported_at_its_span(
    case: tuple[type[Rule], Profile], tmp_path: Path
) -> None:
    rule, profile = case
    assert bad_example_mismatch(rule, profile, tmp_path) is None


def test_a_wrong_span_is_caught(tmp_path: Path) -> None:
    line, column, end_line, end_column = RunRemoteParamAnnotation.bad_span
    shifts = [
        (line, column + 1, end_line, end_column),
        (line + 1, column, end_line + 1, end_column),
    ]
    for wrong in shifts:
        shifted = type("Shifted", (RunRemoteParamAnnotation,), {"bad_span": wrong})
        mismatch = bad_example_mismatch(shifted, "default", tmp_path)
        assert mismatch is not None and str(RunRemoteParamAnnotation.bad_span) in mismatch
    clean = type("Clean", (RunRemoteParamAnnotation,), {"bad": RunRemoteParamAnnotation.good})
    assert "reported []" in (bad_example_mismatch(clean, "default", tmp_path) or "")


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_good_example_is_clean(case: tuple[type[Rule], Profile], tmp_path: Path) -> None:
    rule, profile = case
    diagnostics = lint_text(tmp_path, rule.good, profile=profile)
    assert diagnostics == [], f"{rule.code} good example gave {diagnostics}"


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_rule_metadata_is_complete(rule: type[Rule]) -> None:
    assert rule.code.startswith("CH") and rule.code[2:].isdigit()
    assert rule.name == rule.name.lower() and " " not in rule.name
    for text in (rule.summary, rule.why, rule.fix):
        assert text.strip()
    docs = doc_text(rule)
    assert "## Example" in docs and "## Use instead" in docs


def _literal_problem(attribute: str, node: ast.expr) -> str | None:
    """Why ``node`` is not written out as a literal example, or None."""
    if attribute == "bad_span":
        numbers = node.elts if isinstance(node, ast.Tuple) else []
        literal = len(numbers) == 4 and all(
            isinstance(n, ast.Constant) and type(n.value) is int for n in numbers
        )
        return None if literal else "must be a tuple of four int literals"
    texts = node.values if isinstance(node, ast.Dict) else [node]
    keys = node.keys if isinstance(node, ast.Dict) else []
    for part in [*texts, *keys]:
        if not (isinstance(part, ast.Constant) and isinstance(part.value, str)):
            return "must be a string literal, or a dict of file names to string literals"
    return None


def _class_assignments(rule: type[Rule]) -> dict[str, ast.expr]:
    """The values assigned in the body of the rule's class, read from its source file."""
    source = Path(inspect.getsourcefile(rule) or "").read_text(encoding="utf-8")
    classes = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ClassDef) and node.name == rule.__name__
    ]
    assert len(classes) == 1, f"{rule.__name__}: expected one class of that name in its file"
    assigned: dict[str, ast.expr] = {}
    for statement in classes[0].body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            target: ast.expr = statement.targets[0]
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            target = statement.target
        else:
            continue
        if isinstance(target, ast.Name) and statement.value is not None:
            assigned[target.id] = statement.value
    return assigned


@pytest.mark.parametrize("rule", ALL_RULES, ids=[r.code for r in ALL_RULES])
def test_examples_are_literal_text_in_the_rules_class(rule: type[Rule]) -> None:
    assigned = _class_assignments(rule)
    for attribute in EXAMPLE_ATTRIBUTES:
        where = f"{rule.__name__}.{attribute} ({inspect.getsourcefile(rule)})"
        assert attribute in assigned, f"{where}: write it out in the class body"
        problem = _literal_problem(attribute, assigned[attribute])
        assert problem is None, f"{where}: {problem}, not computed"
        # Nothing may change the value after the class body (a decorator, a later assignment).
        assert ast.literal_eval(assigned[attribute]) == getattr(rule, attribute), where


def test_the_literal_check_rejects_computed_examples() -> None:
    computed = ast.parse(
        'TEMPLATE.replace("X", "def")\n"a" + "b"\nf"{HEAD}x"\n{"chain.py": TEXT}\n{**FILES}\n'
    )
    for statement in computed.body:
        assert isinstance(statement, ast.Expr)
        assert _literal_problem("bad", statement.value) is not None
    spans = ast.parse("(1, 2, 3)\n(1, 2, 3, LINE)\n(1, 2, 3, 4.0)\n")
    for statement in spans.body:
        assert isinstance(statement, ast.Expr)
        assert _literal_problem("bad_span", statement.value) is not None
    literal = ast.parse('"""text"""\n{"chain.py": "a", "b.toml": "c"}\n(1, 2, 3, 4)\n')
    values = [s.value for s in literal.body if isinstance(s, ast.Expr)]
    attributes = ("bad", "good", "bad_span")
    assert [_literal_problem(a, v) for a, v in zip(attributes, values, strict=True)] == [None] * 3


def test_explain_prints_what_the_rules_reference_shows(capsys: pytest.CaptureFixture[str]) -> None:
    reference = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in ALL_RULES:
        capsys.readouterr()
        assert main(["--explain", rule.code]) == 0
        explained = capsys.readouterr().out
        assert explained == doc_text(rule)
        # The reference nests each rule under its group: headings go two levels down.
        _, _, body = explained.replace("\n## ", "\n#### ").partition("\n")
        assert body in reference, f"{rule.code}: run python -m chains_lint.docgen"
