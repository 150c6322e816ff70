"""The ``chains-lint`` command line."""

from __future__ import annotations

import argparse
import gc
import io
import os
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

from chains_lint import __version__
from chains_lint.config import Config, ConfigError, find_pyproject, load_config, search_start
from chains_lint.diagnostics import Diagnostic
from chains_lint.discovery import discover
from chains_lint.errors import UsageError, describe_exception
from chains_lint.output import FORMATTERS
from chains_lint.profiles import PROFILES

if TYPE_CHECKING:
    from chains_lint.cache import CachedLintResult
    from chains_lint.linter import LintResult

# libcst, the rules and the model are imported only when a run needs them: a run
# answered from the cache, --help or --version never do.

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
    parser.add_argument(
        "--entrypoint",
        metavar="NAME",
        help="the chainlet class the chain starts from, as `truss chains push FILE NAME` "
        "names it (a file defining it needs no mark_entrypoint)",
    )
    parser.add_argument("--explain", metavar="CODE", help="print a rule's documentation")
    parser.add_argument("--list-rules", action="store_true", help="list every rule")
    parser.add_argument(
        "--graph",
        action="store_true",
        help="print the dependency graph of the chains in PATHS as Mermaid",
    )
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even with errors")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="lint every file again, without reading or writing the cache",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="where to keep the cache (default: .chains_lint_cache next to pyproject.toml)",
    )
    parser.add_argument("--version", action="version", version=f"chains-lint {__version__}")
    return parser


def _load_config(args: argparse.Namespace) -> Config:
    if args.no_config:
        config = Config()
    elif args.config is not None:
        if not args.config.is_file():
            raise ConfigError(f"{args.config}: no such config file")
        config = load_config(args.config, check_codes=False)
    else:
        pyproject = find_pyproject(search_start(args.paths, Path.cwd()))
        config = load_config(pyproject, check_codes=False)
    # Checking the codes imports every rule: a run answered from the cache skips it
    # (an entry exists only for a configuration that passed the check).
    return config.with_overrides(
        args.select, args.ignore, args.profile, args.src, check_codes=False,
        entrypoint=args.entrypoint,
    )


def _explain(code: str, out: TextIO) -> int:
    from chains_lint.rules.base import doc_text
    from chains_lint.rules.registry import rule_for

    rule = rule_for(code.strip())
    if rule is None:
        raise UsageError(f"unknown rule code {code!r}; see chains-lint --list-rules")
    out.write(doc_text(rule))
    return EXIT_CLEAN


def _list_rules(out: TextIO) -> int:
    from chains_lint.rules.registry import ALL_RULES

    for r in ALL_RULES:
        only = "" if r.profiles == frozenset(PROFILES) else f" [{', '.join(sorted(r.profiles))}]"
        out.write(f"{r.code}  {r.name:<34} {r.severity.value:<8} {r.summary.strip()}{only}\n")
    return EXIT_CLEAN


def statistics(diagnostics: Sequence[Diagnostic]) -> str:
    """Findings per rule, most frequent first (ties by code)."""
    counts = Counter(d.code for d in diagnostics)
    # A finding carries its rule's name and severity (Rule.diagnostic).
    described = {d.code: (d.name, d.severity.value) for d in diagnostics}
    lines = []
    for code, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        name, severity = described[code]
        lines.append(f"{count:>5}  {code}  {severity:<8} {name}".rstrip())
    return "".join(line + "\n" for line in lines)


def _graph(result: LintResult) -> str:
    from chains_lint.graph import mermaid

    models = {id(t.model): t.model for t in result.analysis.targets}
    return "".join(mermaid(m) for m in models.values())


def _lint(
    args: argparse.Namespace, config: Config, files: list[Path]
) -> LintResult | CachedLintResult:
    if not (args.graph or args.no_cache):
        from chains_lint.cache import LintCache, cache_folder, lint_with_cache

        cwd = Path.cwd()
        folder = cache_folder(config, no_cache=False, cache_dir=args.cache_dir, cwd=cwd)
        if folder is not None:
            return lint_with_cache(files, config, LintCache(folder, config, cwd))
    from chains_lint.linter import lint_files

    return lint_files(files, config.check_rule_codes())


def _report(args: argparse.Namespace, result: LintResult | CachedLintResult) -> str:
    if args.graph:
        from chains_lint.linter import LintResult  # --graph never uses the cache

        assert isinstance(result, LintResult)
        return _graph(result)
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
    result = _lint(args, config, files)
    _write(_report(args, result), args.output_file)
    if result.internal_errors:
        for error in result.internal_errors:
            sys.stderr.write(f"chains-lint: internal error: {error} (please report this)\n")
        return EXIT_USAGE
    if result.has_errors and not args.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``chains-lint`` with ``argv``, and return its exit status.

    Without ``argv`` this is the whole ``chains-lint`` process (the console script,
    ``python -m chains_lint``): it reads ``sys.argv`` and, once its output is flushed,
    leaves with ``os._exit``. Tearing the interpreter down would free every libcst
    node and module one by one, about 15% of a one-file run, for nothing.
    """
    if argv is None:
        # The syntax trees stay alive for the whole run, so the cyclic collector's
        # passes over them find next to nothing: as mypy does, run it far less often
        # (a quarter less time over 1,000 files, about 5% more memory at the peak).
        gc.set_threshold(200_000, 100, 1000)
    status = _main(argv)
    if argv is None:
        _leave(status)
    return status


def _leave(status: int) -> NoReturn:
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # e.g. the reader of a pipe went away
        status = EXIT_USAGE
    os._exit(status)


def _main(argv: Sequence[str] | None) -> int:
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
