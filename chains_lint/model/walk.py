"""A fast, read-only walk over libcst trees.

``CSTNode.visit`` rebuilds every node it passes (it is built for
transformers), which makes a plain visitor several times slower than reading
the dataclass fields. Rules and the model only read, so they walk with this.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import libcst as cst

_CHILD_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}

# Nodes that open a new scope: a ``yield`` or ``await`` inside them belongs to them.
SCOPE_NODES: tuple[type[cst.CSTNode], ...] = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def _fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(node_type)
    if names is None:
        names = tuple(f.name for f in dataclasses.fields(node_type))
        _CHILD_FIELDS[node_type] = names
    return names


def children(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """The direct child nodes of ``node``, in field order (source order in practice)."""
    for name in _fields(type(node)):
        value = getattr(node, name)
        if isinstance(value, cst.CSTNode):
            yield value
        elif isinstance(value, (list, tuple)):
            for item in value:
                if isinstance(item, cst.CSTNode):
                    yield item


def walk(
    root: cst.CSTNode, *, prune: Callable[[cst.CSTNode], bool] | None = None
) -> Iterator[cst.CSTNode]:
    """Every node below ``root`` (and ``root``), depth first, in source order.

    A node for which ``prune`` returns True is yielded but not descended into.
    """
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        if prune is not None and node is not root and prune(node):
            continue
        stack.extend(reversed(list(children(node))))


def walk_with_parents(
    root: cst.CSTNode, *, prune: Callable[[cst.CSTNode], bool] | None = None
) -> Iterator[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]]:
    """Like :func:`walk`, with each node's ancestors (nearest last)."""
    stack: list[tuple[cst.CSTNode, tuple[cst.CSTNode, ...]]] = [(root, ())]
    while stack:
        node, ancestors = stack.pop()
        yield node, ancestors
        if prune is not None and node is not root and prune(node):
            continue
        inner = (*ancestors, node)
        stack.extend((child, inner) for child in reversed(list(children(node))))


def same_scope(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Nodes of ``root``'s own scope: nested functions, lambdas and classes are not entered."""
    return walk(root, prune=lambda node: isinstance(node, SCOPE_NODES))
