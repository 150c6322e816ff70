"""Reading type annotations into :class:`TypeExpr` trees."""

from __future__ import annotations

from typing import TYPE_CHECKING

import libcst as cst

from chains_lint.model.types import NOT_LITERAL, CodeFor, TypeExpr, TypeKind
from chains_lint.model.values import dotted_name, read_value

if TYPE_CHECKING:
    from chains_lint.model.module import ModuleInfo

_LITERAL_HEADS = frozenset({"typing.Literal", "typing_extensions.Literal"})
_MAX_DEPTH = 40


def read_type(module: ModuleInfo, node: cst.BaseExpression, _depth: int = 0) -> TypeExpr:
    span = module.span_of(node)
    text = module.code_for
    if _depth > _MAX_DEPTH:
        return TypeExpr(TypeKind.OTHER, text, span, node)
    if isinstance(node, cst.Name) and node.value == "None":
        return TypeExpr(TypeKind.NONE, text, span, node)
    name = dotted_name(node)
    if name is not None:
        return TypeExpr(TypeKind.NAME, text, span, node, module.qualify(name), name)
    if isinstance(node, cst.Subscript):
        head_name = dotted_name(node.value)
        qualified = module.qualify(head_name) if head_name else None
        literal_context = qualified in _LITERAL_HEADS
        args: list[TypeExpr] = []
        for element in node.slice:
            if isinstance(element.slice, cst.Index):
                value = element.slice.value
                if literal_context:
                    args.append(_read_literal_arg(module, value))
                else:
                    args.append(read_type(module, value, _depth + 1))
            else:
                args.append(TypeExpr(TypeKind.OTHER, _code_of(module, element), span, node))
        return TypeExpr(
            TypeKind.SUBSCRIPT, text, span, node, qualified, head_name, tuple(args)
        )
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        members: list[TypeExpr] = []
        for part in (node.left, node.right):
            member = read_type(module, part, _depth + 1)
            if member.kind is TypeKind.UNION:
                members.extend(member.args)
            else:
                members.append(member)
        return TypeExpr(TypeKind.UNION, text, span, node, args=tuple(members))
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        string = read_value(module, node)
        inner = None
        if isinstance(string.literal, str):
            inner = _parse_forward_ref(module, string.literal, node, _depth)
        return TypeExpr(TypeKind.STRING, text, span, node, inner=inner)
    if isinstance(node, cst.Ellipsis):
        return TypeExpr(TypeKind.ELLIPSIS, text, span, node)
    if isinstance(node, cst.List):
        items = tuple(
            read_type(module, el.value, _depth + 1)
            for el in node.elements
            if isinstance(el, cst.Element)
        )
        return TypeExpr(TypeKind.LIST, text, span, node, args=items)
    return TypeExpr(TypeKind.OTHER, text, span, node)


def _code_of(module: ModuleInfo, element: cst.SubscriptElement) -> CodeFor:
    """Code generation for ``element``, whatever node it is asked for."""
    return lambda _node: module.code_for(element)


def _read_literal_arg(module: ModuleInfo, node: cst.BaseExpression) -> TypeExpr:
    value = read_value(module, node)
    span = module.span_of(node)
    if value.is_literal:
        return TypeExpr(TypeKind.VALUE, module.code_for, span, node, value=value.literal)
    name = dotted_name(node)
    if name is not None:
        # Literal[Color.RED]: an enum member.
        return TypeExpr(TypeKind.VALUE, module.code_for, span, node, module.qualify(name), name)
    return TypeExpr(TypeKind.OTHER, module.code_for, span, node, value=NOT_LITERAL)


def _parse_forward_ref(
    module: ModuleInfo, source: str, node: cst.BaseExpression, depth: int
) -> TypeExpr | None:
    try:
        parsed = cst.parse_expression(source.strip())
    except (cst.ParserSyntaxError, RecursionError, ValueError):
        return None
    # Positions inside a string refer to the string itself.
    return module.with_span_override(node, lambda: read_type(module, parsed, depth + 1))
