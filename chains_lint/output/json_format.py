"""JSON output: a list of diagnostic objects."""

from __future__ import annotations

import json
from collections.abc import Sequence

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.output import ReportedFile


def _region(span: Span) -> dict[str, object]:
    return {
        "path": span.path,
        "line": span.line,
        "column": span.column,
        "end_line": span.end_line,
        "end_column": span.end_column,
    }


def as_dict(d: Diagnostic) -> dict[str, object]:
    """One diagnostic; lines and columns are 1-based, columns count characters."""
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity.value,
        **_region(d.span),
        "message": d.message,
        "related": [_region(span) for span in d.related],
    }


def render(diagnostics: Sequence[Diagnostic], modules: Sequence[ReportedFile]) -> str:
    return json.dumps([as_dict(d) for d in diagnostics], indent=2) + "\n"
