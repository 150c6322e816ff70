"""The names a module binds at import time, for telling which names are never defined.

Collected from the module's top-level statements (into ``if`` / ``try`` / ``with`` / ``for`` /
``while`` blocks, not into function or class bodies): assignments and unpacking, ``for`` and
``with ... as`` targets, ``except ... as``, imports, ``def`` and ``class`` names, plus every name
declared ``global`` anywhere. None when any name may be bound (``from x import *``).

A name bound only inside ``if TYPE_CHECKING:`` exists for type checkers, never when the module
runs: ``type_checking_only_names`` gives those.
"""

from __future__ import annotations

import builtins
import weakref
from collections.abc import Iterable, Iterator, Sequence

import libcst as cst

from chains_lint.model.module import ModuleInfo

BUILTIN_NAMES = frozenset(dir(builtins))

_BINDINGS: weakref.WeakKeyDictionary[ModuleInfo, frozenset[str] | None] = (
    weakref.WeakKeyDictionary()
)
_TYPE_CHECKING_ONLY: weakref.WeakKeyDictionary[ModuleInfo, frozenset[str]] = (
    weakref.WeakKeyDictionary()
)


def module_bindings(module: ModuleInfo) -> frozenset[str] | None:
    """Names bound at module level (builtins not included); None with a star import."""
    if module in _BINDINGS:
        return _BINDINGS[module]
    found: frozenset[str] | None = None
    if module.tree is not None:
        collector = _Collector()
        module.tree.visit(collector)
        found = None if collector.star_import else frozenset(collector.names)
    _BINDINGS[module] = found
    return found


def type_checking_only_names(module: ModuleInfo) -> frozenset[str]:
    """Names the module binds only in the body of an ``if TYPE_CHECKING:`` at module level
    (not also elsewhere, nor in that ``if``'s ``else``); empty with a star import."""
    found = _TYPE_CHECKING_ONLY.get(module)
    if found is None:
        found = frozenset()
        # Two walks of the whole tree, so only for a file that can hold such a block.
        everything = module_bindings(module) if "TYPE_CHECKING" in module.source else None
        if module.tree is not None and everything is not None:
            at_runtime = _Collector(skip_type_checking=True)
            module.tree.visit(at_runtime)
            found = everything - at_runtime.names
        _TYPE_CHECKING_ONLY[module] = found
    return found


def is_defined(module: ModuleInfo, name: str, scope: Iterable[str] = ()) -> bool:
    """Whether ``name`` can be bound when the module runs: in ``scope`` (e.g. a class body),
    at module level, or a builtin. True when the module's names cannot be known."""
    bindings = module_bindings(module)
    return bindings is None or name in bindings or name in BUILTIN_NAMES or name in scope


class _Collector(cst.CSTVisitor):
    def __init__(self, *, skip_type_checking: bool = False) -> None:
        self.names: set[str] = set()
        self.star_import = False
        self._depth = 0  # inside a function or class body
        self._skip_type_checking = skip_type_checking

    def visit_If(self, node: cst.If) -> bool:
        if self._skip_type_checking and not self._depth and _is_type_checking(node.test):
            if node.orelse is not None:
                node.orelse.visit(self)
            return False
        return True

    def _scope(self, node: cst.FunctionDef | cst.ClassDef) -> bool:
        if self._depth == 0:
            self.names.add(node.name.value)
        self._depth += 1
        return True  # ``global`` statements and star imports inside count too

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return self._scope(node)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self._depth -= 1

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        return self._scope(node)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self._depth -= 1

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Global(self, node: cst.Global) -> None:
        self.names.update(item.name.value for item in node.names)

    def visit_Import(self, node: cst.Import) -> None:
        if not self._depth:
            self._imported(node.names)

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if isinstance(node.names, cst.ImportStar):
            self.star_import = True
        elif not self._depth:
            self._imported(node.names)

    def _imported(self, aliases: Sequence[cst.ImportAlias]) -> None:
        for alias in aliases:
            if alias.asname is not None:
                self.names.update(_targets(alias.asname.name))
            else:
                self.names.add(_dotted_head(alias.name))

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        if not self._depth:
            self.names.update(_targets(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if not self._depth:
            self.names.update(_targets(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if not self._depth:
            self.names.update(_targets(node.target))

    def visit_For(self, node: cst.For) -> None:
        if not self._depth:
            self.names.update(_targets(node.target))

    def visit_CompFor(self, node: cst.CompFor) -> bool:
        return True  # comprehension variables are local, but walrus targets inside are not

    def visit_AsName(self, node: cst.AsName) -> None:  # with ... as x, except ... as x
        if not self._depth:
            self.names.update(_targets(node.name))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        if not self._depth:
            self.names.update(_targets(node.target))


def _targets(node: cst.CSTNode) -> Iterator[str]:
    if isinstance(node, cst.Name):
        yield node.value
    elif isinstance(node, (cst.Tuple, cst.List)):
        for element in node.elements:
            yield from _targets(element.value)
    elif isinstance(node, cst.StarredElement):
        yield from _targets(node.value)


def _is_type_checking(test: cst.BaseExpression) -> bool:
    """``TYPE_CHECKING`` or ``<module>.TYPE_CHECKING`` (``typing.TYPE_CHECKING``)."""
    if isinstance(test, cst.Name):
        return test.value == "TYPE_CHECKING"
    return (
        isinstance(test, cst.Attribute)
        and test.attr.value == "TYPE_CHECKING"
        and isinstance(test.value, cst.Name)
    )


def _dotted_head(node: cst.BaseExpression) -> str:
    while isinstance(node, cst.Attribute):
        node = node.value
    return node.value if isinstance(node, cst.Name) else ""
