"""Source spans, severities and the diagnostics that rules report."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Span:
    """A region of a source file. Lines are 1-based, columns are 1-based."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int


@dataclass(frozen=True)
class Diagnostic:
    code: str
    name: str
    severity: Severity
    message: str
    span: Span
    related: tuple[Span, ...] = field(default=())

    @property
    def sort_key(self) -> tuple[str, int, int, str, str]:
        s = self.span
        return (s.path, s.line, s.column, self.code, self.message)
