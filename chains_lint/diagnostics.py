"""Source spans, severities and the diagnostics that rules report."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


Coordinates = tuple[int, int, int, int]


@functools.total_ordering
class Span:
    """A region of a source file. Lines are 1-based, columns are 1-based.

    A span can be *deferred*: its coordinates are computed on first use. The
    model records a span for almost everything it reads, but only the few that
    end up in a diagnostic are ever looked at, and computing positions costs
    more than parsing (so a clean file never pays for it).
    """

    __slots__ = ("_coordinates", "_resolve", "path")

    def __init__(self, path: str, line: int, column: int, end_line: int, end_column: int) -> None:
        self.path = path
        self._coordinates: Coordinates | None = (line, column, end_line, end_column)
        self._resolve: Callable[[], Coordinates] | None = None

    @classmethod
    def deferred(cls, path: str, resolve: Callable[[], Coordinates]) -> Span:
        span = cls.__new__(cls)
        span.path = path
        span._coordinates = None
        span._resolve = resolve
        return span

    @property
    def coordinates(self) -> Coordinates:
        if self._coordinates is None:
            assert self._resolve is not None
            self._coordinates = self._resolve()
            self._resolve = None
        return self._coordinates

    @property
    def line(self) -> int:
        return self.coordinates[0]

    @property
    def column(self) -> int:
        return self.coordinates[1]

    @property
    def end_line(self) -> int:
        return self.coordinates[2]

    @property
    def end_column(self) -> int:
        return self.coordinates[3]

    def _key(self) -> tuple[str, int, int, int, int]:
        return (self.path, *self.coordinates)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Span):
            return NotImplemented
        return self._key() == other._key()

    def __lt__(self, other: Span) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        line, column, end_line, end_column = self.coordinates
        return (
            f"Span(path={self.path!r}, line={line}, column={column}, "
            f"end_line={end_line}, end_column={end_column})"
        )


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


def merge_findings(per_file: Iterable[Sequence[Diagnostic]]) -> list[Diagnostic]:
    """Every linted file's findings as one list in report order, each finding once."""
    kept = list(dict.fromkeys(d for found in per_file for d in found))
    kept.sort(key=lambda d: d.sort_key)
    return kept
