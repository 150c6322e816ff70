"""Running the rules over files: analysis, selection, ``# noqa`` and rule crashes."""

from __future__ import annotations

import re
from collections.abc import Sequence, Set
from dataclasses import dataclass, field, replace
from pathlib import Path

from chains_lint.analysis import Analysis, analyse
from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic, Severity, merge_findings
from chains_lint.discovery import discover
from chains_lint.errors import describe_exception
from chains_lint.model.imports import local_imports
from chains_lint.model.module import NOQA_ALL, ModuleInfo
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.registry import ALL_RULES
from chains_lint.rules.syntax import SyntaxErrorRule

_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")
__all__ = ["InternalError", "LintResult", "describe_exception", "lint_files", "lint_paths"]


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
    # Each linted file's findings (after noqa), in the order the rules reported them.
    by_target: dict[Path, list[Diagnostic]] = field(default_factory=dict)
    crashed_targets: set[Path] = field(default_factory=set)  # a rule crashed on these

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


def lint_files(
    files: Sequence[Path], config: Config, *, imported_elsewhere: Set[Path] = frozenset()
) -> LintResult:
    """Lint ``files``; ``imported_elsewhere`` are files that modules not linted here import."""
    analysis = analyse(files, config.source_roots)
    analysis.imported_paths |= imported_elsewhere
    rules = active_rules(config)
    syntax_rules = [r for r in rules if isinstance(r, SyntaxErrorRule)]
    by_target: dict[Path, list[Diagnostic]] = {}
    crashes: list[InternalError] = []
    crashed: set[Path] = set()
    for target in analysis.targets:
        found = by_target.setdefault(target.module.path, [])
        ctx = RuleContext(
            target.module, target.model, analysis, config.profile, entrypoint=config.entrypoint
        )
        module_rules = rules if target.module.parse_error is None else syntax_rules
        for rule in module_rules:
            try:
                found.extend(rule.check(ctx))
            except Exception as exc:  # a rule bug must not hide the other rules' findings
                crashes.append(
                    InternalError(target.module.display_path, rule.code, describe_exception(exc))
                )
                crashed.add(target.module.path)
    if config.profile == "truss":
        imported = _imported_module_errors(analysis, rules, config)
        for path, (found, crash_list) in imported.items():
            by_target[path].extend(found)
            crashes.extend(crash_list)
            if crash_list:
                crashed.add(path)
    noqa = _NoqaIndex(analysis)
    for path, found in by_target.items():
        one_line = (_one_line_message(d) for d in found)
        by_target[path] = [d for d in one_line if not noqa.suppresses(d)]
    kept = merge_findings(by_target.values())
    modules = [t.module for t in analysis.targets]
    return LintResult(kept, modules, analysis, crashes, by_target, crashed)


# Rules about the chain as a whole, already judged from the linted file's side: which
# chainlet is the entrypoint, dependency cycles, display names shared across files.
_CHAIN_WIDE_RULES = frozenset({"CH301", "CH305", "CH306", "CH410", "CH715"})


def _imported_module_errors(
    analysis: Analysis, rules: Sequence[Rule], config: Config
) -> dict[Path, tuple[list[Diagnostic], list[InternalError]]]:
    """The errors of the local modules each linted file imports, and the rules that crashed.

    truss imports a chain file's local imports with it and validates every chainlet class
    they define, so under the truss profile a chain is judged as a whole even when only its
    entry file is linted. Each module's errors go to the first linted file importing it;
    modules that are linted themselves are not repeated.
    """
    linted = {target.module.path for target in analysis.targets}
    seen: set[Path] = set()
    found: dict[Path, tuple[list[Diagnostic], list[InternalError]]] = {}
    for target in analysis.targets:
        errors: list[Diagnostic] = []
        crashes: list[InternalError] = []
        for module in local_imports(target.module, target.model.modules):
            if module.path in linted or module.path in seen:
                continue
            seen.add(module.path)
            ctx = RuleContext(
                module, target.model, analysis, config.profile, entrypoint=config.entrypoint
            )
            module_rules = [
                r
                for r in rules
                if r.code not in _CHAIN_WIDE_RULES
                and (module.parse_error is None or isinstance(r, SyntaxErrorRule))
            ]
            for rule in module_rules:
                try:
                    errors.extend(d for d in rule.check(ctx) if d.severity is Severity.ERROR)
                except Exception as exc:  # as for linted files: keep the other findings
                    crashes.append(
                        InternalError(module.display_path, rule.code, describe_exception(exc))
                    )
        if errors or crashes:
            found[target.module.path] = (errors, crashes)
    return found


def _one_line_message(diagnostic: Diagnostic) -> Diagnostic:
    """Messages quote code, which may span lines; every output format wants one line."""
    if "\n" not in diagnostic.message and "\r" not in diagnostic.message:
        return diagnostic
    return replace(diagnostic, message=_LINE_BREAKS.sub(" ", diagnostic.message).strip())


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
