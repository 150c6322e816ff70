"""The ``chains-lint`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from chains_lint import __version__
from chains_lint.config import Config, ConfigError, find_pyproject, load_config
from chains_lint.graph import mermaid
from chains_lint.linter import UsageError, discover, lint_files
from chains_lint.output import FORMATTERS
from chains_lint.rules.base import PROFILES, doc_text
from chains_lint.rules.registry import ALL_RULES, rule_for

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
    )
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: .)")
    parser.add_argument("--format", choices=sorted(FORMATTERS), default="text")
    parser.add_argument("--select", action="append", metavar="CODES",
                        help="only these codes or prefixes (comma-separated, repeatable)")
    parser.add_argument("--ignore", action="append", metavar="CODES",
                        help="skip these codes or prefixes (comma-separated, repeatable)")
    parser.add_argument("--profile", choices=PROFILES, default=None,
                        help="'truss' also reports what truss_chains rejects")
    parser.add_argument("--src", action="append", type=Path, metavar="DIR",
                        help="extra source root for resolving imports (repeatable)")
    parser.add_argument("--config", type=Path, metavar="PYPROJECT",
                        help="read [tool.chains-lint] from this file")
    parser.add_argument("--no-config", action="store_true", help="ignore pyproject.toml")
    parser.add_argument("--explain", metavar="CODE", help="print a rule's documentation")
    parser.add_argument("--list-rules", action="store_true", help="list every rule")
    parser.add_argument("--graph", action="store_true",
                        help="print the dependency graph of the chains in PATHS as Mermaid")
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
        config = load_config(find_pyproject(Path.cwd()))
    return config.with_overrides(args.select, args.ignore, args.profile, args.src)


def run(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    if args.explain:
        rule = rule_for(args.explain)
        if rule is None:
            raise UsageError(f"unknown rule code {args.explain!r}; see chains-lint --list-rules")
        sys.stdout.write(doc_text(rule))
        return EXIT_CLEAN
    if args.list_rules:
        for r in ALL_RULES:
            sys.stdout.write(f"{r.code}  {r.name:<34} {r.severity.value:<8} {r.summary.strip()}\n")
        return EXIT_CLEAN
    config = _load_config(args)
    paths = args.paths or [Path(".")]
    files = discover(paths, config.exclude)
    result = lint_files(files, config)
    if args.graph:
        models = {id(t.model): t.model for t in result.analysis.targets}
        sys.stdout.write("".join(mermaid(m) for m in models.values()))
        return EXIT_FINDINGS if result.has_errors and not args.exit_zero else EXIT_CLEAN
    sys.stdout.write(FORMATTERS[args.format](result.diagnostics, result.modules))
    if result.has_errors and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except (UsageError, ConfigError) as exc:
        sys.stderr.write(f"chains-lint: error: {exc}\n")
        return EXIT_USAGE
    except KeyboardInterrupt:
        sys.stderr.write("chains-lint: interrupted\n")
        return EXIT_USAGE
    except Exception as exc:
        sys.stderr.write(
            f"chains-lint: internal error: {type(exc).__name__}: {exc} "
            "(please report this with the file that caused it)\n"
        )
        return EXIT_USAGE
