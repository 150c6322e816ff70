"""Running the rules over files: discovery, analysis, selection and ``# noqa``."""

from __future__ import annotations

import fnmatch
import io
import os
import re
import tokenize
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from chains_lint.analysis import Analysis, analyse, iter_python_files
from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.model.module import NOQA_ALL, ModuleInfo
from chains_lint.model.sdk import SDK_MODULES
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.registry import ALL_RULES
from chains_lint.rules.syntax import SyntaxErrorRule

_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
_SDK_NAMES = b"|".join(name.encode("ascii") for name in sorted(SDK_MODULES))
# An import statement of the SDK, at any indentation (inside `if`/`try` too).
_IMPORTS_SDK = re.compile(
    rb"^[ \t]*(?:from[ \t]+(?:" + _SDK_NAMES + rb")\b"
    rb"|import[ \t]+[^\n#]*\b(?:" + _SDK_NAMES + rb")\b)",
    re.MULTILINE,
)


class UsageError(Exception):
    """Bad paths or arguments: reported as one line with exit code 2."""


@dataclass(frozen=True)
class InternalError:
    """A rule that crashed on a file. The other rules' findings are still reported."""

    path: str
    code: str
    error: str

    def __str__(self) -> str:
        return f"{self.path}: rule {self.code} crashed: {self.error}"


@dataclass
class LintResult:
    diagnostics: list[Diagnostic]
    modules: list[ModuleInfo]  # the linted files, in the order given
    analysis: Analysis
    internal_errors: list[InternalError] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)


# -- discovery ----------------------------------------------------------------


def discover(
    paths: Sequence[Path],
    exclude: Sequence[str] = (),
    *,
    project_root: Path | None = None,
    force_exclude: bool = False,
) -> list[Path]:
    """Files named directly, plus files below folders that import the chain SDK.

    Like ruff, ``exclude`` applies to files found in folders, and to files named
    directly only with ``force_exclude`` (what a pre-commit hook wants). Raises
    :class:`UsageError` for a missing path, a file that is not readable text, or
    folders without any chain file.
    """
    found: list[Path] = []
    named_a_file = False
    for path in paths:
        if path.is_dir():
            found.extend(_chain_files_below(path, exclude, project_root))
        elif path.is_file():
            named_a_file = True
            if not (force_exclude and _excluded(path, exclude, project_root)):
                check_source(path, read_bytes(path))
                found.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    if not found and not named_a_file:
        searched = ", ".join(str(p) for p in paths)
        modules = " or ".join(sorted(SDK_MODULES))
        raise UsageError(f"no chain files (Python files importing {modules}) in {searched}")
    return list(dict.fromkeys(found))


def _chain_files_below(
    folder: Path, exclude: Sequence[str], project_root: Path | None
) -> Iterator[Path]:
    for file in iter_python_files(folder):
        if _excluded(file, exclude, project_root):
            continue
        try:
            data = file.read_bytes()
        except OSError:
            continue  # not ours to report: it might not be a chain file at all
        # A binary file is no chain file, however its name ends.
        if b"\0" not in data and _IMPORTS_SDK.search(data):
            check_source(file, data)
            yield file


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def check_source(path: Path, data: bytes) -> None:
    """Raise :class:`UsageError` unless ``data`` is Python source text Python could decode."""
    if b"\0" in data:
        raise UsageError(f"{path}: not a text file (it contains NUL bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise UsageError(f"{path}: {exc.msg}") from exc
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UsageError(
            f"{path}: line {line}: byte 0x{data[exc.start]:02x} is not valid {encoding}; "
            "save the file as UTF-8 or declare its encoding"
        ) from exc


def _excluded(path: Path, patterns: Sequence[str], project_root: Path | None) -> bool:
    """True when a pattern matches the file, one of its folders, or their names.

    Patterns are matched against the path relative to the project root (the
    folder of the config file) when the file is below it, else as given.
    """
    if not patterns:
        return False
    candidates = _match_candidates(path, project_root)
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in candidates)


def _match_candidates(path: Path, project_root: Path | None) -> list[str]:
    relative = path
    if project_root is not None:
        try:
            relative = Path(os.path.relpath(path.resolve(), project_root.resolve()))
        except ValueError:
            relative = path
        if relative.parts[:1] == ("..",):
            relative = path
    parts = [p for p in relative.parts if p not in (".", "")]
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return [*prefixes, *parts]


# -- linting ------------------------------------------------------------------


def active_rules(config: Config) -> list[Rule]:
    return [
        rule()
        for rule in ALL_RULES
        if config.profile in rule.profiles and config.is_selected(rule.code)
    ]


def lint_paths(paths: Sequence[Path], config: Config) -> LintResult:
    files = discover(paths, config.exclude, project_root=config.project_root)
    return lint_files(files, config)


def lint_files(files: Sequence[Path], config: Config) -> LintResult:
    analysis = analyse(files, config.source_roots)
    rules = active_rules(config)
    syntax_rules = [r for r in rules if isinstance(r, SyntaxErrorRule)]
    diagnostics: list[Diagnostic] = []
    crashes: list[InternalError] = []
    for target in analysis.targets:
        ctx = RuleContext(target.module, target.model, analysis, config.profile)
        module_rules = rules if target.module.parse_error is None else syntax_rules
        for rule in module_rules:
            try:
                diagnostics.extend(rule.check(ctx))
            except Exception as exc:  # a rule bug must not hide the other rules' findings
                crashes.append(
                    InternalError(target.module.display_path, rule.code, describe_exception(exc))
                )
    noqa = _NoqaIndex(analysis)
    one_line = (_one_line_message(d) for d in diagnostics)
    kept = [d for d in dict.fromkeys(one_line) if not noqa.suppresses(d)]
    kept.sort(key=lambda d: d.sort_key)
    return LintResult(kept, [t.module for t in analysis.targets], analysis, crashes)


def _one_line_message(diagnostic: Diagnostic) -> Diagnostic:
    """Messages quote code, which may span lines; every output format wants one line."""
    if "\n" not in diagnostic.message and "\r" not in diagnostic.message:
        return diagnostic
    return replace(diagnostic, message=_LINE_BREAKS.sub(" ", diagnostic.message).strip())


def describe_exception(exc: BaseException) -> str:
    """``Type: first line of the message``, for one-line error reports."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


class _NoqaIndex:
    """``# noqa`` lookups by diagnostic path, over every module the analysis loaded."""

    def __init__(self, analysis: Analysis) -> None:
        self._modules: dict[str, ModuleInfo] = {}
        for target in analysis.targets:
            self._modules.setdefault(target.module.display_path, target.module)
        models = {id(t.model): t.model for t in analysis.targets}
        for model in models.values():
            for module in model.modules.values():
                self._modules.setdefault(module.display_path, module)

    def suppresses(self, diagnostic: Diagnostic) -> bool:
        module = self._modules.get(diagnostic.span.path)
        if module is None:
            return False
        codes = module.noqa_codes(diagnostic.span.line)
        if codes is None:
            return False
        # Exact codes only, as in ruff: a suppression written for another tool's
        # code (flake8's E501, say) does not hide ours.
        return NOQA_ALL in codes or diagnostic.code in codes
