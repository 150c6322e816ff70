"""Running the rules over files: discovery, analysis, selection and ``# noqa``."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chains_lint.analysis import Analysis, analyse, iter_python_files
from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.model.loader import read_source
from chains_lint.model.module import NOQA_ALL, ModuleInfo
from chains_lint.model.sdk import SDK_MODULES
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.registry import ALL_RULES
from chains_lint.rules.syntax import SyntaxErrorRule


class UsageError(Exception):
    """Bad paths or arguments: reported as one line with exit code 2."""


@dataclass
class LintResult:
    diagnostics: list[Diagnostic]
    modules: list[ModuleInfo]
    analysis: Analysis

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)


def discover(paths: Sequence[Path], exclude: Sequence[str] = ()) -> list[Path]:
    """Files named directly, plus files below folders that import the chain SDK."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            for file in iter_python_files(path):
                if not _excluded(file, exclude) and _mentions_sdk(file):
                    found.append(file)
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return list(dict.fromkeys(found))


def _excluded(path: Path, patterns: Sequence[str]) -> bool:
    text = path.as_posix()
    return any(fnmatch.fnmatch(text, p) or fnmatch.fnmatch(path.name, p) for p in patterns)


def _mentions_sdk(path: Path) -> bool:
    try:
        text = read_source(path)
    except OSError:
        return False
    return any(name in text for name in SDK_MODULES)


def active_rules(config: Config) -> list[Rule]:
    return [
        rule()
        for rule in ALL_RULES
        if config.profile in rule.profiles and config.is_selected(rule.code)
    ]


def lint_paths(paths: Sequence[Path], config: Config) -> LintResult:
    files = discover(paths, config.exclude)
    return lint_files(files, config)


def lint_files(files: Sequence[Path], config: Config) -> LintResult:
    analysis = analyse(files, config.source_roots)
    rules = active_rules(config)
    diagnostics: list[Diagnostic] = []
    for target in analysis.targets:
        ctx = RuleContext(target.module, target.model, analysis, config.profile)
        module_rules: list[Rule] = rules
        if target.module.parse_error is not None:
            module_rules = [r for r in rules if isinstance(r, SyntaxErrorRule)]
        for rule in module_rules:
            diagnostics.extend(rule.check(ctx))
    kept = [d for d in dict.fromkeys(diagnostics) if not _suppressed(d, analysis)]
    kept.sort(key=lambda d: d.sort_key)
    return LintResult(kept, [t.module for t in analysis.targets], analysis)


def _suppressed(diagnostic: Diagnostic, analysis: Analysis) -> bool:
    for target in analysis.targets:
        module = target.module
        if module.display_path != diagnostic.span.path:
            continue
        codes = module.noqa_codes(diagnostic.span.line)
        if codes is None:
            return False
        return NOQA_ALL in codes or any(diagnostic.code.startswith(c) for c in codes)
    return False
