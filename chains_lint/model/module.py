"""One parsed source file: its imports, top-level definitions and positions."""

from __future__ import annotations

import builtins
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from chains_lint.diagnostics import Span
from chains_lint.model.sdk import is_sdk_module_name
from chains_lint.model.types import ClassInfo, FunctionInfo

_T = TypeVar("_T")
_BUILTIN_NAMES = frozenset(dir(builtins))
_NOQA = re.compile(r"#\s*noqa(?::\s*(?P<codes>[A-Z]+[0-9]*(?:\s*,\s*[A-Z]+[0-9]*)*))?", re.I)

NOQA_ALL = "*"


def _positions(tree: cst.Module) -> dict[cst.CSTNode, CodeRange]:
    """Every node's position, as ``MetadataWrapper.resolve(PositionProvider)`` gives them.

    The provider is run directly: the wrapper would also walk the whole tree once
    more for (here absent) batchable providers, which costs about as much as the
    positions themselves.
    """
    provider = PositionProvider()
    try:
        provider._gen_impl(tree)
        return dict(provider._computed)  # type: ignore[arg-type]
    except AttributeError:  # a libcst without these internals: take the public way
        wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
        return dict(wrapper.resolve(PositionProvider))


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
    _positions: dict[cst.CSTNode, CodeRange] | None = field(default=None, repr=False)
    _span_override: Span | None = field(default=None, repr=False)
    _lines: list[str] | None = field(default=None, repr=False)

    # -- positions and text -------------------------------------------------

    def attach_tree(self, tree: cst.Module) -> None:
        self.tree = tree
        self._positions = None

    def span_of(self, node: cst.CSTNode) -> Span:
        """Where ``node`` is; positions are computed for the whole file on first use."""
        if self._span_override is not None:
            return self._span_override
        return Span.deferred(self.display_path, lambda: self._coordinates_of(node))

    def _coordinates_of(self, node: cst.CSTNode) -> tuple[int, int, int, int]:
        if self._positions is None:
            self._positions = _positions(self.tree) if self.tree is not None else {}
        rng = self._positions.get(node)
        if rng is None:
            return (1, 1, 1, 1)
        return (rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1)

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
