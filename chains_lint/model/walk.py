"""A fast, read-only walk over libcst trees.

``CSTNode.visit`` rebuilds every node it passes (it is built for
transformers), which makes a plain visitor several times slower than reading
the dataclass fields. Rules and the model only read, so they walk with this.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

import libcst as cst

# Nodes whose dataclass fields are not in source order: the fields that can hold
# code, in the order they are written.
_SOURCE_ORDER: dict[type[cst.CSTNode], tuple[str, ...]] = {
    cst.Arg: ("keyword", "value"),
    cst.ClassDef: ("decorators", "name", "type_parameters", "bases", "keywords", "body"),
    cst.ExceptHandler: ("type", "name", "body"),
    cst.ExceptStarHandler: ("type", "name", "body"),
    cst.FunctionDef: ("decorators", "name", "type_parameters", "params", "returns", "body"),
    cst.IfExp: ("body", "test", "orelse"),
    cst.MatchCase: ("pattern", "guard", "body"),
    cst.Parameters: ("posonly_params", "params", "star_arg", "kwonly_params", "star_kwarg"),
}

# Whitespace, punctuation and operator tokens: no analysis walks to them (an
# operator is read from its expression's ``operator`` field instead).
TOKEN_BASES: tuple[type, ...] = (
    cst.BaseParenthesizableWhitespace, cst.TrailingWhitespace, cst.EmptyLine, cst.Newline,
    cst.Comment, cst.Comma, cst.Colon, cst.Semicolon, cst.Dot, cst.AssignEqual,
    cst.LeftParen, cst.RightParen, cst.LeftSquareBracket, cst.RightSquareBracket,
    cst.LeftCurlyBrace, cst.RightCurlyBrace, cst.Asynchronous, cst.ParamSlash, cst.ParamStar,
    cst.ImportStar, cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp,
    cst.BaseAugOp,
)

_CHILD_FIELDS: dict[type[cst.CSTNode], tuple[str, ...]] = {}

# What a value of a given type is, cached per type: ``isinstance`` against
# libcst's abstract node classes is slow, and the walk asks millions of times.
_NOT_A_NODE, _NODE, _TOKEN = 0, 1, 2
_KIND_OF_TYPE: dict[type, int] = {}
_TOKEN_BASE_SET = frozenset(TOKEN_BASES)

# Nodes that open a new scope: a ``yield`` or ``await`` inside them belongs to them.
SCOPE_NODES: tuple[type[cst.CSTNode], ...] = (cst.FunctionDef, cst.Lambda, cst.ClassDef)


def _fields(node_type: type[cst.CSTNode]) -> tuple[str, ...]:
    names = _CHILD_FIELDS.get(node_type)
    if names is None:
        names = _SOURCE_ORDER.get(node_type) or tuple(
            f.name for f in dataclasses.fields(node_type)
        )
        _CHILD_FIELDS[node_type] = names
    return names


def derives_from(value_type: type, bases: frozenset[type]) -> bool:
    """``issubclass(value_type, tuple(bases))``, read from the MRO.

    libcst's node classes are ABCs: ``issubclass`` against one that is not among a
    type's bases scans every subclass of it, which costs milliseconds per new type.
    libcst registers no virtual subclasses, so the MRO gives the same answer.
    """
    return not bases.isdisjoint(value_type.__mro__)


def _kind(value_type: type) -> int:
    kind = _KIND_OF_TYPE.get(value_type)
    if kind is None:
        if cst.CSTNode not in value_type.__mro__:
            kind = _NOT_A_NODE
        elif derives_from(value_type, _TOKEN_BASE_SET):
            kind = _TOKEN
        else:
            kind = _NODE
        _KIND_OF_TYPE[value_type] = kind
    return kind


def is_token(node: cst.CSTNode) -> bool:
    """Whether ``node`` is whitespace, punctuation or an operator token."""
    return _kind(type(node)) == _TOKEN


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The direct child nodes of ``node`` in source order, without tokens."""
    found: list[cst.CSTNode] = []
    for name in _fields(type(node)):
        value = getattr(node, name)
        value_type = type(value)
        if value_type is list or value_type is tuple:
            found.extend(item for item in value if _kind(type(item)) == _NODE)
        elif _kind(value_type) == _NODE:
            found.append(value)
    return found


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
        stack.extend(reversed(children(node)))


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
        stack.extend((child, inner) for child in reversed(children(node)))


def same_scope(root: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """Nodes of ``root``'s own scope: nested functions, lambdas and classes are not entered."""
    return walk(root, prune=lambda node: isinstance(node, SCOPE_NODES))
