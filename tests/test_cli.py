"""The ``chains-lint`` command line: arguments, exit codes and one-line errors.

The helpers at the top are shared with the other CLI-level test files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from chains_lint.cli import main

GOOD_CHAIN = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

# CH001: the `def` line lacks its colon (line 5, column 49).
BAD_CHAIN = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str
        return name
"""
BAD_LINE = 5
BAD_COLUMN = 49


@dataclass(frozen=True)
class CliRun:
    code: int
    out: str
    err: str


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.lstrip("\n"), encoding="utf-8")
    return path


def run_cli(
    args: list[str], cwd: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> CliRun:
    """``chains-lint ARGS`` in this process, with ``cwd`` as the working directory."""
    monkeypatch.chdir(cwd)
    capsys.readouterr()
    code = main(args)
    captured = capsys.readouterr()
    return CliRun(code, captured.out, captured.err)


def run_subprocess(args: list[str], cwd: Path) -> CliRun:
    """``python -m chains_lint ARGS`` as a real process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run(
        [sys.executable, "-m", "chains_lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


def assert_one_line_error(run: CliRun, *needles: str) -> None:
    """Exit 2 with exactly one ``chains-lint: error:`` line, no traceback, nothing on stdout."""
    assert run.code == 2, run
    assert run.out == "", run
    lines = run.err.splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("chains-lint: error: "), run.err
    assert "Traceback" not in run.err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def rule_codes(cwd: Path) -> list[str]:
    """Every rule code, as ``--list-rules`` prints them."""
    listing = run_subprocess(["--list-rules"], cwd)
    assert listing.code == 0
    return [line.split()[0] for line in listing.out.splitlines()]


# -- exit codes -----------------------------------------------------------------


def test_clean_file_exits_zero_with_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", GOOD_CHAIN)
    run = run_cli(["chain.py"], tmp_path, capsys, monkeypatch)
    assert run.code == 0
    assert run.out == "All checks passed (1 file).\n"
    assert run.err == ""


def test_error_exits_one_and_reports_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", BAD_CHAIN)
    run = run_cli(["chain.py"], tmp_path, capsys, monkeypatch)
    assert run.code == 1
    first = run.out.splitlines()[0]
    assert first.startswith(f"chain.py:{BAD_LINE}:{BAD_COLUMN}: CH001 ")
    assert run.out.splitlines()[-1] == "Found 1 error in 1 file (1 checked)."


def test_exit_zero_flag_keeps_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", BAD_CHAIN)
    run = run_cli(["--exit-zero", "chain.py"], tmp_path, capsys, monkeypatch)
    assert run.code == 0
    assert "CH001" in run.out


def test_warnings_alone_exit_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file whose only findings are warnings passes; it fails once an error joins them."""
    from chains_lint.diagnostics import Severity
    from chains_lint.rules.registry import ALL_RULES

    warning_rules = [r for r in ALL_RULES if r.severity is Severity.WARNING]
    if not warning_rules:
        pytest.skip("no warning rule is registered yet")
    rule = warning_rules[0]
    files = {"chain.py": rule.bad} if isinstance(rule.bad, str) else dict(rule.bad)
    for name, text in files.items():
        write(tmp_path, name, text)
    profile = sorted(rule.profiles)[0]
    select = ["--select", f"{rule.code},CH001", "--profile", profile]
    run = run_cli([*select, "chain.py"], tmp_path, capsys, monkeypatch)
    assert run.code == 0, run
    assert f" {rule.code} [warning] " in run.out
    write(tmp_path, "bad.py", BAD_CHAIN)
    run = run_cli([*select, "chain.py", "bad.py"], tmp_path, capsys, monkeypatch)
    assert run.code == 1, run


def test_folder_finds_only_chain_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "app/chain.py", BAD_CHAIN)
    write(tmp_path, "app/helpers.py", "def broken(:\n")  # not a chain file: never read as one
    # Naming the SDK in a comment or a string does not make a chain file; importing it does.
    write(tmp_path, "app/notes.py", '# truss_chains\nx = "import truss_chains"\ndef broken(:\n')
    write(tmp_path, "app/lazy.py", "try:\n    import os, chains_runtime\nexcept ImportError:\n")
    write(tmp_path, "app/.venv/lib/chain.py", BAD_CHAIN)  # virtualenvs are skipped
    run = run_cli(["app"], tmp_path, capsys, monkeypatch)
    assert run.code == 1
    paths = {line.split(":")[0] for line in run.out.splitlines() if ": CH" in line}
    assert paths == {str(Path("app/chain.py")), str(Path("app/lazy.py"))}


def test_default_path_is_the_working_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", BAD_CHAIN)
    run = run_cli([], tmp_path, capsys, monkeypatch)
    assert run.code == 1
    assert run.out.startswith("chain.py:")


# -- usage errors: exit 2 with one line, never a traceback -------------------------


def test_unknown_flag(tmp_path: Path) -> None:
    assert_one_line_error(run_subprocess(["--bogus"], tmp_path), "--bogus")


def test_bad_format_and_profile_values(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", GOOD_CHAIN)
    run = run_cli(["--format", "xml", "chain.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "xml")
    run = run_cli(["--profile", "modal", "chain.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "modal")


def test_missing_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_cli(["nowhere.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "nowhere.py", "no such file")


@pytest.mark.parametrize("flag", ["--select", "--ignore"])
@pytest.mark.parametrize("value", ["CH999", "E501", "CH1x"])
def test_unknown_code_in_select_or_ignore(
    flag: str,
    value: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write(tmp_path, "chain.py", GOOD_CHAIN)
    run = run_cli([flag, value, "chain.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, flag, value)


def test_folder_without_chain_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "lib/util.py", "def f() -> int:\n    return 1\n")
    run = run_cli(["lib"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "no chain files", "lib")


def test_binary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "chain.py").write_bytes(b"import truss_chains\x00\x01\x02\xff")
    run = run_cli(["chain.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "chain.py", "not a text file")


def test_binary_file_in_a_folder_is_not_a_chain_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "app/chain.py", GOOD_CHAIN)
    (tmp_path / "app" / "blob.py").write_bytes(b"truss_chains\x00\xff")
    run = run_cli(["app"], tmp_path, capsys, monkeypatch)
    assert run.code == 0, run
    assert run.out == "All checks passed (1 file).\n"


def test_non_utf8_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = GOOD_CHAIN.lstrip().replace('"Hello, {name}"', '"H\xe9llo, {name}"')
    (tmp_path / "chain.py").write_bytes(source.encode("latin-1"))
    run = run_cli(["chain.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "chain.py", "line 6", "0xe9", "UTF-8")


def test_declared_latin1_file_is_fine(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = "# -*- coding: latin-1 -*-\n" + GOOD_CHAIN.lstrip().replace('"Hello,', '"H\xe9llo,')
    (tmp_path / "chain.py").write_bytes(source.encode("latin-1"))
    run = run_cli(["chain.py"], tmp_path, capsys, monkeypatch)
    assert run.code == 0, run


def test_unknown_declared_encoding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", "# -*- coding: klingon -*-\n" + GOOD_CHAIN.lstrip())
    run = run_cli(["chain.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "chain.py", "klingon")


def test_unreadable_file_without_permission(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "chain.py", GOOD_CHAIN)
    path.chmod(0)
    try:
        if os.access(path, os.R_OK):
            pytest.skip("running as a user who can read any file (root)")
        run = run_cli(["chain.py"], tmp_path, capsys, monkeypatch)
    finally:
        path.chmod(0o644)
    assert_one_line_error(run, "chain.py", "cannot read")


@pytest.mark.skipif(not Path("/proc/self/mem").is_file(), reason="needs Linux /proc")
def test_unreadable_file_that_fails_on_read(tmp_path: Path) -> None:
    """/proc/self/mem opens but cannot be read from offset 0, even by root."""
    run = run_subprocess(["/proc/self/mem"], tmp_path)
    assert_one_line_error(run, "/proc/self/mem", "cannot read")


def test_broken_pyproject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "pyproject.toml", "[tool.chains-lint\nselect = [\n")
    write(tmp_path, "chain.py", GOOD_CHAIN)
    run = run_cli(["chain.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "pyproject.toml", "invalid TOML")


def test_unknown_code_in_pyproject(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "pyproject.toml", '[tool.chains-lint]\nignore = ["CH998"]\n')
    write(tmp_path, "chain.py", GOOD_CHAIN)
    run = run_cli(["chain.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "pyproject.toml", "ignore", "CH998")


def test_missing_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", GOOD_CHAIN)
    run = run_cli(["--config", "nope.toml", "chain.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "nope.toml")


def test_missing_src_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", GOOD_CHAIN)
    run = run_cli(["--src", "libs", "chain.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "--src", "libs")


def test_unwritable_output_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", GOOD_CHAIN)
    run = run_cli(["-o", "no/such/dir/out.txt", "chain.py"], tmp_path, capsys, monkeypatch)
    assert_one_line_error(run, "out.txt", "cannot write")


def test_usage_errors_are_one_line_from_the_real_entry_point(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.chains-lint]\nselect = 3\n")
    write(tmp_path, "chain.py", GOOD_CHAIN)
    assert_one_line_error(run_subprocess(["chain.py"], tmp_path), "select")
    assert_one_line_error(run_subprocess(["--no-config", "missing"], tmp_path), "missing")


# -- other options ------------------------------------------------------------------


def test_version(tmp_path: Path) -> None:
    run = run_subprocess(["--version"], tmp_path)
    assert run.code == 0
    assert run.out.startswith("chains-lint ")


def test_explain_prints_docs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run = run_cli(["--explain", "ch001"], tmp_path, capsys, monkeypatch)
    assert run.code == 0
    assert run.out.startswith("# CH001 syntax-error")
    assert "## Example" in run.out and "## Use instead" in run.out


def test_explain_unknown_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert_one_line_error(run_cli(["--explain", "CH999"], tmp_path, capsys, monkeypatch), "CH999")


def test_every_listed_rule_can_be_explained(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    codes = rule_codes(tmp_path)
    assert "CH001" in codes
    assert len(set(codes)) == len(codes)
    for code in codes:
        run = run_cli(["--explain", code], tmp_path, capsys, monkeypatch)
        assert run.code == 0 and run.out.startswith(f"# {code} "), code


def test_statistics_counts_per_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "a.py", BAD_CHAIN)
    write(tmp_path, "b.py", BAD_CHAIN)
    run = run_cli(["--statistics", "a.py", "b.py"], tmp_path, capsys, monkeypatch)
    assert run.code == 1
    assert run.out.split() == ["2", "CH001", "error", "syntax-error"]


def test_output_file_holds_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "chain.py", BAD_CHAIN)
    run = run_cli(
        ["--format", "json", "-o", "report.json", "chain.py"], tmp_path, capsys, monkeypatch
    )
    assert run.code == 1
    assert run.out == ""
    assert '"CH001"' in (tmp_path / "report.json").read_text(encoding="utf-8")


def test_force_exclude_applies_to_named_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "pyproject.toml", '[tool.chains-lint]\nexclude = ["generated"]\n')
    write(tmp_path, "generated/chain.py", BAD_CHAIN)
    named = run_cli(["generated/chain.py"], tmp_path, capsys, monkeypatch)
    assert named.code == 1  # named files are linted, as in ruff
    forced = run_cli(["--force-exclude", "generated/chain.py"], tmp_path, capsys, monkeypatch)
    assert forced.code == 0, forced
    assert forced.out == "All checks passed (0 files).\n"


def test_real_entry_point_lints(tmp_path: Path) -> None:
    write(tmp_path, "chain.py", BAD_CHAIN)
    run = run_subprocess(["chain.py"], tmp_path)
    assert run.code == 1
    assert f"chain.py:{BAD_LINE}:{BAD_COLUMN}: CH001" in run.out
    assert run.err == ""
