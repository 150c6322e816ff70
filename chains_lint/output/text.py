"""Human-readable output: ``path:line:col: CODE message`` with the source line."""

from __future__ import annotations

from collections.abc import Sequence

from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.model.module import ModuleInfo


def render(diagnostics: Sequence[Diagnostic], modules: Sequence[ModuleInfo]) -> str:
    by_path = {m.display_path: m for m in modules}
    out: list[str] = []
    for d in diagnostics:
        s = d.span
        label = "" if d.severity is Severity.ERROR else " [warning]"
        out.append(f"{s.path}:{s.line}:{s.column}: {d.code}{label} {d.message}")
        module = by_path.get(s.path)
        source = module.line_text(s.line) if module is not None else ""
        if source.strip():
            gutter = f"{s.line:>4} | "
            out.append(f"{gutter}{source.rstrip()}")
            width = s.end_column - s.column if s.end_line == s.line else len(source) - s.column + 1
            out.append(" " * (len(gutter) + s.column - 1) + "^" * max(1, width))
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    if diagnostics:
        out.append(
            f"Found {errors} {_plural(errors, 'error')}"
            f" and {warnings} {_plural(warnings, 'warning')}."
        )
    else:
        files = len(modules)
        out.append(f"All checks passed ({files} {_plural(files, 'file')}).")
    return "\n".join(out) + "\n"


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"
