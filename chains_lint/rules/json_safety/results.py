"""What the JSON-safety classifier answers: findings, each with a problem and a verdict."""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass

from chains_lint.diagnostics import Span
from chains_lint.model.types import TypeExpr


class Verdict(str, enum.Enum):
    SAFE = "safe"
    UNKNOWN = "unknown"
    UNSAFE = "unsafe"


class Problem(str, enum.Enum):
    NOT_JSON = "not_json"  # pydantic cannot carry it as JSON
    BYTES = "bytes"  # bytes inside a model written as UTF-8 text
    LOCAL_CLASS = "local_class"  # a model/enum defined inside a function or class
    UNTYPED = "untyped"  # a container without item types
    UNKNOWN = "unknown"  # the linter cannot see or read the type

    @property
    def verdict(self) -> Verdict:
        if self in (Problem.UNTYPED, Problem.UNKNOWN):
            return Verdict.UNKNOWN
        return Verdict.UNSAFE


@dataclass(frozen=True)
class Step:
    """A field or alias a finding was reached through, e.g. ``Query.embedding``."""

    label: str  # "`Query.embedding`" or "alias `Vector`"
    span: Span


@dataclass(frozen=True)
class Finding:
    problem: Problem
    expr: TypeExpr  # the most precise part of the classified annotation
    culprit: TypeExpr  # the offending annotation itself (a field's, an alias's...)
    reason: str  # why, without a trailing period
    fix: str  # how to fix it, without a trailing period
    via: tuple[Step, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return self.problem.verdict


@dataclass(frozen=True)
class Classification:
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Verdict:
        verdicts = {f.verdict for f in self.findings}
        if Verdict.UNSAFE in verdicts:
            return Verdict.UNSAFE
        if Verdict.UNKNOWN in verdicts:
            return Verdict.UNKNOWN
        return Verdict.SAFE

    @property
    def is_safe(self) -> bool:
        return not self.findings


def rebase(expr: TypeExpr, step: Step, findings: list[Finding]) -> list[Finding]:
    """Findings inside a field or alias, re-anchored at ``expr`` that uses it."""
    return [
        dataclasses.replace(f, expr=expr, culprit=f.culprit, via=(step, *f.via))
        for f in findings
    ]


def dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    kept: list[Finding] = []
    for finding in findings:
        key = (
            finding.problem,
            finding.expr.span,
            finding.culprit.span,
            finding.reason,
            tuple(s.label for s in finding.via),
        )
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept
