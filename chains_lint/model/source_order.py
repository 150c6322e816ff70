"""Source order of a module's top-level classes, without computing positions.

Reading a span's line forces positions for the whole file; the order of the
class statements in the tree gives the same answer for a fraction of the cost.
"""

from __future__ import annotations

import weakref

import libcst as cst

from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import Chainlet
from chains_lint.model.walk import walk

_ORDERS: weakref.WeakKeyDictionary[ModuleInfo, dict[cst.CSTNode, int]] = (
    weakref.WeakKeyDictionary()
)
# Class statements are found among compound statements; nothing else can hold one
# that is not nested in a class or function.
_NO_TOP_LEVEL_CLASS = (cst.ClassDef, cst.FunctionDef, cst.SimpleStatementLine, cst.BaseExpression)


def class_position(chainlet: Chainlet) -> int:
    """Where ``chainlet``'s class statement comes in its module (top-level classes only)."""
    return _class_order(chainlet.module).get(chainlet.cls.node, -1)


def in_source_order(chainlets: list[Chainlet]) -> list[Chainlet]:
    """``chainlets`` of one module in the order they are defined."""
    return sorted(chainlets, key=class_position)


def _class_order(module: ModuleInfo) -> dict[cst.CSTNode, int]:
    order = _ORDERS.get(module)
    if order is None:
        order = {}
        if module.tree is not None:
            for node in walk(module.tree, prune=_holds_no_top_level_class):
                if isinstance(node, cst.ClassDef):
                    order[node] = len(order)
        _ORDERS[module] = order
    return order


def _holds_no_top_level_class(node: cst.CSTNode) -> bool:
    return isinstance(node, _NO_TOP_LEVEL_CLASS)
