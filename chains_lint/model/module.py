"""One parsed source file: its imports, top-level definitions and positions."""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import libcst as cst
from libcst.metadata import CodeRange

from chains_lint.diagnostics import Span
from chains_lint.model.positions import (
    Positions,
    module_positions,
    statement_first_lines,
    statement_owners,
    statement_positions,
)
from chains_lint.model.sdk import is_sdk_module_name
from chains_lint.model.types import ClassInfo, FunctionInfo

_T = TypeVar("_T")
_BUILTIN_NAMES = frozenset(dir(builtins))
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]*(?:\s*,\s*[A-Z]+[0-9]*)*))?", re.I)

NOQA_ALL = "*"


@dataclass(frozen=True)
class ParseError:
    message: str
    line: int
    column: int


@dataclass(frozen=True)
class ImportedModule:
    """A module name an import statement refers to, and where."""

    name: str
    span: Span


@dataclass(eq=False)
class ModuleInfo:
    path: Path
    name: str  # dotted module name relative to its import root
    display_path: str  # the path as shown in diagnostics
    source: str
    is_package: bool = False
    tree: cst.Module | None = None
    parse_error: ParseError | None = None
    imports: dict[str, str] = field(default_factory=dict)  # local binding -> qualified
    imported_modules: list[ImportedModule] = field(default_factory=list)
    classes: dict[str, ClassInfo] = field(default_factory=dict)  # top-level, by name
    nested_classes: list[ClassInfo] = field(default_factory=list)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)  # top-level
    constants: dict[str, cst.BaseExpression] = field(default_factory=dict)
    defined_names: set[str] = field(default_factory=set)
    future_annotations: bool = False
    imports_sdk: bool = False
    _positions: Positions = field(default_factory=dict, repr=False)
    _all_positions_known: bool = field(default=False, repr=False)
    _statement_owners: dict[cst.CSTNode, int] | None = field(default=None, repr=False)
    _statement_lines: list[int] | None = field(default=None, repr=False)
    _span_override: Span | None = field(default=None, repr=False)
    _lines: list[str] | None = field(default=None, repr=False)

    # -- positions and text -------------------------------------------------

    def attach_tree(self, tree: cst.Module) -> None:
        self.tree = tree

    def span_of(self, node: cst.CSTNode) -> Span:
        """Where ``node`` is; positions are computed for the whole file on first use."""
        if self._span_override is not None:
            return self._span_override
        return Span.deferred(self.display_path, lambda: self._coordinates_of(node))

    def _coordinates_of(self, node: cst.CSTNode) -> tuple[int, int, int, int]:
        rng = self._positions.get(node) or self._compute_position(node)
        if rng is None:
            return (1, 1, 1, 1)
        return (rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)

    @property
    def positions_computed(self) -> bool:
        """Whether any source position has been computed (they are costly: see positions.py)."""
        return bool(self._positions)

    def _compute_position(self, node: cst.CSTNode) -> CodeRange | None:
        """Positions for the top-level statement holding ``node`` (or, failing that, all)."""
        tree = self.tree
        if tree is None or self._all_positions_known:
            return None
        if self._statement_owners is None:
            self._statement_owners = statement_owners(tree.body)
            self._statement_lines = statement_first_lines(self.source, tree.body)
        index = self._statement_owners.get(node)
        if index is not None and self._statement_lines is not None:
            statement = tree.body[index]
            self._positions.update(
                statement_positions(tree, statement, self._statement_lines[index])
            )
        else:
            self._positions = module_positions(tree)
            self._all_positions_known = True
        return self._positions.get(node)

    def with_span_override(self, node: cst.CSTNode, fn: Callable[[], _T]) -> _T:
        previous = self._span_override
        self._span_override = self.span_of(node)
        try:
            return fn()
        finally:
            self._span_override = previous

    def code_for(self, node: cst.CSTNode) -> str:
        if self.tree is None:
            return ""
        return self.tree.code_for_node(node)

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            # Only the line breaks Python (and libcst's positions) count: not
            # str.splitlines()'s form feeds or Unicode separators.
            self._lines = re.split(r"\r\n|\r|\n", self.source)
        return self._lines

    def line_text(self, line: int) -> str:
        lines = self.lines
        return lines[line - 1] if 0 < line <= len(lines) else ""

    def noqa_codes(self, line: int) -> frozenset[str] | None:
        """Codes suppressed on ``line`` (``{"*"}`` for a bare ``# noqa``), or None."""
        match = _NOQA.search(self.line_text(line))
        if match is None:
            return None
        codes = match.group("codes")
        if not codes:
            return frozenset({NOQA_ALL})
        return frozenset(c.strip().upper() for c in codes.split(","))

    # -- names --------------------------------------------------------------

    @property
    def package(self) -> str:
        """The package relative imports are resolved against."""
        if self.is_package:
            return self.name
        return self.name.rpartition(".")[0]

    def qualify(self, dotted: str) -> str | None:
        """The qualified name ``dotted`` refers to at module level, or None."""
        first, dot, rest = dotted.partition(".")
        if first in self.imports:
            base = self.imports[first]
        elif first in self.defined_names:
            base = f"{self.name}.{first}" if self.name else first
        elif first in _BUILTIN_NAMES:
            base = f"builtins.{first}"
        else:
            return None
        return f"{base}{dot}{rest}"

    def all_classes(self) -> Iterator[ClassInfo]:
        yield from self.classes.values()
        yield from self.nested_classes

    def refers_to_sdk(self) -> bool:
        return self.imports_sdk or any(is_sdk_module_name(q) for q in self.imports.values())
