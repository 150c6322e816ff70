"""The ``chains-lint`` command line."""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from chains_lint import __version__
from chains_lint.config import Config, ConfigError, find_pyproject, load_config, search_start
from chains_lint.diagnostics import Diagnostic
from chains_lint.discovery import UsageError, discover
from chains_lint.graph import mermaid
from chains_lint.linter import LintResult, describe_exception, lint_files
from chains_lint.output import FORMATTERS
from chains_lint.rules.base import PROFILES, doc_text
from chains_lint.rules.registry import ALL_RULES, RULES_BY_CODE, rule_for

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chains-lint",
        description="Statically check Chains (truss_chains / chains_runtime) files.",
        epilog="Exit status: 0 no errors (warnings allowed), 1 errors found, "
        "2 usage or internal error.",
    )
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: .)")
    parser.add_argument("--format", choices=sorted(FORMATTERS), default="text")
    parser.add_argument(
        "--select",
        action="append",
        metavar="CODES",
        help="only these codes or prefixes (comma-separated, repeatable)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        metavar="CODES",
        help="skip these codes or prefixes (comma-separated, repeatable)",
    )
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default=None,
        help="'truss' also reports what truss_chains rejects",
    )
    parser.add_argument(
        "--src",
        action="append",
        type=Path,
        metavar="DIR",
        help="extra source root for resolving imports (repeatable)",
    )
    parser.add_argument(
        "--config", type=Path, metavar="PYPROJECT", help="read [tool.chains-lint] from this file"
    )
    parser.add_argument("--no-config", action="store_true", help="ignore pyproject.toml")
    parser.add_argument(
        "--force-exclude",
        action="store_true",
        help="apply exclude to files named on the command line too",
    )
    parser.add_argument(
        "--statistics",
        action="store_true",
        help="print the number of findings per rule instead of the findings",
    )
    parser.add_argument(
        "-o",
        "--output-file",
        type=Path,
        metavar="FILE",
        help="write the report to FILE instead of standard output",
    )
    parser.add_argument("--explain", metavar="CODE", help="print a rule's documentation")
    parser.add_argument("--list-rules", action="store_true", help="list every rule")
    parser.add_argument(
        "--graph",
        action="store_true",
        help="print the dependency graph of the chains in PATHS as Mermaid",
    )
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even with errors")
    parser.add_argument("--version", action="version", version=f"chains-lint {__version__}")
    return parser


def _load_config(args: argparse.Namespace) -> Config:
    if args.no_config:
        config = Config()
    elif args.config is not None:
        if not args.config.is_file():
            raise ConfigError(f"{args.config}: no such config file")
        config = load_config(args.config)
    else:
        config = load_config(find_pyproject(search_start(args.paths, Path.cwd())))
    return config.with_overrides(args.select, args.ignore, args.profile, args.src)


def _explain(code: str, out: TextIO) -> int:
    rule = rule_for(code.strip())
    if rule is None:
        raise UsageError(f"unknown rule code {code!r}; see chains-lint --list-rules")
    out.write(doc_text(rule))
    return EXIT_CLEAN


def _list_rules(out: TextIO) -> int:
    for r in ALL_RULES:
        only = "" if r.profiles == frozenset(PROFILES) else f" [{', '.join(sorted(r.profiles))}]"
        out.write(f"{r.code}  {r.name:<34} {r.severity.value:<8} {r.summary.strip()}{only}\n")
    return EXIT_CLEAN


def statistics(diagnostics: Sequence[Diagnostic]) -> str:
    """Findings per rule, most frequent first (ties by code)."""
    counts = Counter(d.code for d in diagnostics)
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        rule = RULES_BY_CODE.get(code)
        name = rule.name if rule is not None else ""
        severity = rule.severity.value if rule is not None else ""
        lines.append(f"{count:>5}  {code}  {severity:<8} {name}".rstrip())
    return "".join(line + "\n" for line in lines)


def _report(args: argparse.Namespace, result: LintResult) -> str:
    if args.graph:
        models = {id(t.model): t.model for t in result.analysis.targets}
        return "".join(mermaid(m) for m in models.values())
    if args.statistics:
        return statistics(result.diagnostics)
    return FORMATTERS[args.format](result.diagnostics, result.modules)


def _write(text: str, output_file: Path | None) -> None:
    if output_file is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        output_file.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{output_file}: cannot write: {exc.strerror or exc}") from exc


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.explain:
        return _explain(args.explain, sys.stdout)
    if args.list_rules:
        return _list_rules(sys.stdout)
    config = _load_config(args)
    paths = args.paths or [Path(".")]
    files = discover(
        paths, config.exclude, project_root=config.project_root, force_exclude=args.force_exclude
    )
    result = lint_files(files, config)
    _write(_report(args, result), args.output_file)
    if result.internal_errors:
        for error in result.internal_errors:
            sys.stderr.write(f"chains-lint: internal error: {error} (please report this)\n")
        return EXIT_USAGE
    if result.has_errors and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    # Source lines may hold characters the terminal's encoding lacks.
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except (UsageError, ConfigError) as exc:
        sys.stderr.write(f"chains-lint: error: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader went away (e.g. `chains-lint | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("chains-lint: interrupted\n")
        return EXIT_USAGE
    except RecursionError:
        sys.stderr.write("chains-lint: internal error: the code is nested too deeply to analyse\n")
        return EXIT_USAGE
    except Exception as exc:
        sys.stderr.write(
            f"chains-lint: internal error: {describe_exception(exc)} "
            "(please report this with the file that caused it)\n"
        )
        return EXIT_USAGE
