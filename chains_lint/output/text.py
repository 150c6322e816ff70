"""Human-readable output: ``path:line:col: CODE message`` with the source line."""

from __future__ import annotations

from collections.abc import Sequence

from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.output import ReportedFile


def render(diagnostics: Sequence[Diagnostic], modules: Sequence[ReportedFile]) -> str:
    by_path = {m.display_path: m for m in modules}
    out: list[str] = []
    for d in diagnostics:
        s = d.span
        label = "" if d.severity is Severity.ERROR else " [warning]"
        out.append(f"{s.path}:{s.line}:{s.column}: {d.code}{label} {d.message}")
        module = by_path.get(s.path)
        if module is not None:
            out.extend(source_excerpt(module.line_text(s.line), s))
    out.append(summary(diagnostics, len(modules)))
    return "\n".join(out) + "\n"


def source_excerpt(source: str, span: Span) -> list[str]:
    """The source line with a gutter and a caret line under the span (none for blank lines)."""
    source = source.rstrip()
    if not source.strip():
        return []
    gutter = f"{span.line:>4} | "
    start = min(max(span.column, 1), len(source) + 1)
    if span.end_line == span.line:
        end = min(max(span.end_column, start + 1), len(source) + 1)
    else:  # the span goes on below: underline to the end of this line
        end = len(source) + 1
    # Keep tabs in the indentation so the carets line up however tabs are shown.
    indent = "".join(c if c == "\t" else " " for c in source[: start - 1])
    carets = "^" * max(1, end - start)
    return [f"{gutter}{source}", " " * len(gutter) + indent + carets]


def summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    if not diagnostics:
        return f"All checks passed ({files} {_plural(files, 'file')})."
    errors = sum(1 for d in diagnostics if d.severity is Severity.ERROR)
    warnings = len(diagnostics) - errors
    counts = [
        f"{n} {_plural(n, word)}" for n, word in ((errors, "error"), (warnings, "warning")) if n
    ]
    with_findings = len({d.span.path for d in diagnostics})
    return (
        f"Found {' and '.join(counts)} in {with_findings} {_plural(with_findings, 'file')}"
        f" ({files} checked)."
    )


def _plural(count: int, word: str) -> str:
    return word if count == 1 else word + "s"
