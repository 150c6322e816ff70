"""JSON output: a list of diagnostic objects."""

from __future__ import annotations

import json
from collections.abc import Sequence

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.module import ModuleInfo


def as_dict(d: Diagnostic) -> dict[str, object]:
    s = d.span
    return {
        "code": d.code,
        "name": d.name,
        "severity": d.severity.value,
        "path": s.path,
        "line": s.line,
        "column": s.column,
        "end_line": s.end_line,
        "end_column": s.end_column,
        "message": d.message,
    }


def render(diagnostics: Sequence[Diagnostic], modules: Sequence[ModuleInfo]) -> str:
    return json.dumps([as_dict(d) for d in diagnostics], indent=2) + "\n"
