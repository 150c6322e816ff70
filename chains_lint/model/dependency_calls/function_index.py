"""A function's syntax tree, indexed once for the analyses that read it.

The dependency-call and secret-read analyses climb from a node to its parents
and look nodes up by name. A :class:`FunctionIndex` gives them parent links,
the nodes in source order and lookup tables, from one walk; it is cached per
function, so a method is indexed once however many chainlets inherit it and
however many analyses read it.

Whitespace and punctuation nodes are left out: no analysis looks at them.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field

import libcst as cst

from chains_lint.model.module import ModuleInfo
from chains_lint.model.walk import TOKEN_BASES, children, walk

# Nodes that never contain a ``def``: the walk for definition order skips them.
_NO_DEFINITIONS: tuple[type, ...] = (
    cst.BaseExpression, cst.SimpleStatementLine, cst.SimpleStatementSuite, cst.Decorator,
    cst.Parameters, cst.Annotation, *TOKEN_BASES,
)

Assignment = cst.Assign | cst.AnnAssign | cst.AugAssign


@dataclass(eq=False)
class FunctionIndex:
    """A function's nodes (the ``def`` itself first) with parent links and lookups."""

    root: cst.FunctionDef
    nodes: list[cst.CSTNode] = field(default_factory=list)  # in source order
    parents: dict[cst.CSTNode, cst.CSTNode] = field(default_factory=dict)
    names: dict[str, list[cst.Name]] = field(default_factory=dict)
    attributes: dict[str, list[cst.Attribute]] = field(default_factory=dict)  # by attr name
    functions: list[cst.FunctionDef] = field(default_factory=list)
    calls: list[cst.Call] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)


def _build(root: cst.FunctionDef) -> FunctionIndex:
    index = FunctionIndex(root)
    nodes, parents, names = index.nodes, index.parents, index.names
    stack: list[tuple[cst.CSTNode, cst.CSTNode | None]] = [(root, None)]
    while stack:
        node, parent = stack.pop()
        nodes.append(node)
        if parent is not None:
            parents[node] = parent
        if isinstance(node, cst.Name):
            names.setdefault(node.value, []).append(node)
        elif isinstance(node, cst.Attribute):
            index.attributes.setdefault(node.attr.value, []).append(node)
        elif isinstance(node, cst.Call):
            index.calls.append(node)
        elif isinstance(node, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
            index.assignments.append(node)
        elif isinstance(node, cst.FunctionDef):
            index.functions.append(node)
        stack.extend((child, node) for child in reversed(children(node)))
    return index


_INDEXES: weakref.WeakKeyDictionary[ModuleInfo, dict[cst.FunctionDef, FunctionIndex]] = (
    weakref.WeakKeyDictionary()
)
_DEFINITION_ORDER: weakref.WeakKeyDictionary[ModuleInfo, dict[cst.FunctionDef, int]] = (
    weakref.WeakKeyDictionary()
)


def function_index(module: ModuleInfo, function: cst.FunctionDef) -> FunctionIndex:
    """The index of ``function`` (a ``def`` in ``module``), built on first use."""
    indexes = _INDEXES.setdefault(module, {})
    index = indexes.get(function)
    if index is None:
        index = indexes[function] = _build(function)
    return index


def definition_order(module: ModuleInfo, function: cst.FunctionDef) -> int:
    """Where ``function`` stands among the ``def``s of ``module``, in source order."""
    order = _DEFINITION_ORDER.get(module)
    if order is None:
        order = _DEFINITION_ORDER[module] = {
            node: rank for rank, node in enumerate(_definitions(module))
        }
    return order.get(function, -1)


def _definitions(module: ModuleInfo) -> Iterator[cst.FunctionDef]:
    if module.tree is None:
        return
    for node in walk(module.tree, prune=lambda n: isinstance(n, _NO_DEFINITIONS)):
        if isinstance(node, cst.FunctionDef):
            yield node
