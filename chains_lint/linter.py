"""Running the rules over files: analysis, selection, ``# noqa`` and rule crashes."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from chains_lint.analysis import Analysis, analyse
from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.discovery import discover
from chains_lint.model.module import NOQA_ALL, ModuleInfo
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.registry import ALL_RULES
from chains_lint.rules.syntax import SyntaxErrorRule

_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
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
