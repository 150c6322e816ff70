"""Every call of a module made through a (dotted) name, and what encloses it.

Two rules look at calls anywhere in a file (``depends()`` outside ``__init__``,
chainlets created by hand); they share one walk per module, cached here.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from chains_lint.model.module import ModuleInfo
from chains_lint.model.values import dotted_name
from chains_lint.model.walk import children, derives_from

EnclosingNode = cst.ClassDef | cst.FunctionDef | cst.Param | cst.With
_ENCLOSING = (cst.ClassDef, cst.FunctionDef, cst.Param, cst.With)
# Nodes that hold no call (whitespace, names, literals, operators, imports): not entered.
_CALL_FREE = frozenset((
    cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline,
    cst.Comment, cst.Name, cst.SimpleString, cst.BaseNumber, cst.Comma, cst.Dot, cst.Colon,
    cst.AssignEqual, cst.Semicolon, cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp,
    cst.BaseUnaryOp, cst.BaseAugOp, cst.LeftParen, cst.RightParen, cst.LeftSquareBracket,
    cst.RightSquareBracket, cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Import,
    cst.ImportFrom, cst.Pass,
))
_CALL_FREE_TYPES: dict[type[cst.CSTNode], bool] = {}

_SITES: weakref.WeakKeyDictionary[ModuleInfo, list[CallSite]] = weakref.WeakKeyDictionary()


@dataclass(frozen=True, eq=False)
class Enclosing:
    """A class, function, parameter or ``with`` around a call, and what encloses that."""

    node: EnclosingNode
    outer: Enclosing | None


@dataclass(frozen=True, eq=False)
class CallSite:
    call: cst.Call
    name: str  # the callee as written, e.g. "chains.depends"
    enclosing: Enclosing | None  # the innermost

    def enclosing_nodes(self) -> Iterator[EnclosingNode]:
        """Classes, functions, parameters and ``with`` statements around the call, innermost
        first (a decorator, base class or parameter counts as inside its class or function)."""
        current = self.enclosing
        while current is not None:
            yield current.node
            current = current.outer


def call_sites(module: ModuleInfo) -> list[CallSite]:
    """Calls of ``module`` whose callee is a name or dotted name, depth first."""
    sites = _SITES.get(module)
    if sites is None:
        sites = _SITES[module] = _collect(module.tree) if module.tree is not None else []
    return sites


def _collect(tree: cst.Module) -> list[CallSite]:
    found: list[CallSite] = []
    stack: list[tuple[cst.CSTNode, Enclosing | None]] = [(tree, None)]
    while stack:
        node, enclosing = stack.pop()
        if isinstance(node, cst.Call):
            name = dotted_name(node.func)
            if name is not None:
                found.append(CallSite(node, name, enclosing))
        elif isinstance(node, _ENCLOSING):
            enclosing = Enclosing(node, enclosing)
        inner = [(child, enclosing) for child in children(node) if not _call_free(type(child))]
        inner.reverse()
        stack += inner
    return found


def _call_free(node_type: type[cst.CSTNode]) -> bool:
    free = _CALL_FREE_TYPES.get(node_type)
    if free is None:
        free = _CALL_FREE_TYPES[node_type] = derives_from(node_type, _CALL_FREE)
    return free
