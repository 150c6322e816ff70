"""Reading expressions as static values, without executing anything."""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

import libcst as cst

from chains_lint.model.types import (
    NOT_LITERAL,
    LiteralValue,
    StaticCall,
    StaticValue,
    _NotLiteral,
)

if TYPE_CHECKING:
    from chains_lint.model.module import ModuleInfo

_MAX_CONSTANT_DEPTH = 8


def dotted_name(node: cst.BaseExpression) -> str | None:
    """``a.b.c`` for Name/Attribute chains, else None."""
    parts: list[str] = []
    current: cst.BaseExpression = node
    while isinstance(current, cst.Attribute):
        parts.append(current.attr.value)
        current = current.value
    if not isinstance(current, cst.Name):
        return None
    parts.append(current.value)
    return ".".join(reversed(parts))


def read_value(module: ModuleInfo, node: cst.BaseExpression, _depth: int = 0) -> StaticValue:
    """Read ``node`` as a :class:`StaticValue` in the namespace of ``module``."""
    span = module.span_of(node)
    text = module.code_for
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
        return StaticValue(node, span, text, _evaluate_simple(node, node.value))
    if isinstance(node, cst.ConcatenatedString):
        return StaticValue(node, span, text, _evaluate_simple(node, text(node)))
    if isinstance(node, cst.FormattedString):
        return StaticValue(node, span, text, NOT_LITERAL)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = read_value(module, node.expression, _depth)
        if isinstance(inner.literal, (int, float)) and not isinstance(inner.literal, bool):
            return StaticValue(node, span, text, -inner.literal)
        return StaticValue(node, span, text, NOT_LITERAL)
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        elements = tuple(
            read_value(module, el.value, _depth)
            for el in node.elements
            if isinstance(el, cst.Element)
        )
        literal: LiteralValue | _NotLiteral = NOT_LITERAL
        all_plain = all(isinstance(el, cst.Element) for el in node.elements)
        if all_plain and all(e.is_literal for e in elements) and not isinstance(node, cst.Set):
            items = [e.literal for e in elements if not isinstance(e.literal, _NotLiteral)]
            literal = items if isinstance(node, cst.List) else tuple(items)
        return StaticValue(node, span, text, literal, elements=elements)
    if isinstance(node, cst.Dict):
        return StaticValue(node, span, text, _read_dict(module, node, _depth))
    if isinstance(node, cst.Call):
        return StaticValue(node, span, text, NOT_LITERAL, call=read_call(module, node, _depth))
    name = dotted_name(node)
    if name is not None:
        if name in ("None", "True", "False"):
            return StaticValue(node, span, text, {"None": None, "True": True, "False": False}[name])
        qualified = module.qualify(name)
        constant = module.constants.get(name)
        if constant is not None and _depth < _MAX_CONSTANT_DEPTH:
            folded = read_value(module, constant, _depth + 1)
            return StaticValue(
                node, span, text, folded.literal, folded.elements, folded.call, qualified
            )
        return StaticValue(node, span, text, NOT_LITERAL, qualified_name=qualified)
    return StaticValue(node, span, text, NOT_LITERAL)


def read_call(module: ModuleInfo, node: cst.Call, _depth: int = 0) -> StaticCall:
    callee_name = dotted_name(node.func)
    callee = module.qualify(callee_name) if callee_name else None
    args: list[StaticValue] = []
    kwargs: list[tuple[str, StaticValue]] = []
    star = False
    for arg in node.args:
        if arg.star:
            star = True
            continue
        value = read_value(module, arg.value, _depth)
        if arg.keyword is not None:
            kwargs.append((arg.keyword.value, value))
        else:
            args.append(value)
    return StaticCall(callee, tuple(args), tuple(kwargs), star)


def _read_dict(module: ModuleInfo, node: cst.Dict, depth: int) -> LiteralValue | _NotLiteral:
    result: dict[str, LiteralValue] = {}
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            return NOT_LITERAL
        key = read_value(module, element.key, depth)
        value = read_value(module, element.value, depth)
        if not isinstance(key.literal, str) or not value.is_literal:
            return NOT_LITERAL
        result[key.literal] = value.literal  # type: ignore[assignment]
    return result


def _evaluate_simple(node: cst.BaseExpression, text: str) -> LiteralValue | _NotLiteral:
    if isinstance(node, cst.ConcatenatedString) and _contains_fstring(node):
        return NOT_LITERAL
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return NOT_LITERAL
    if isinstance(value, (bool, int, float, str)):
        return value
    return NOT_LITERAL


def _contains_fstring(node: cst.ConcatenatedString) -> bool:
    parts: list[cst.BaseExpression] = [node.left, node.right]
    while parts:
        part = parts.pop()
        if isinstance(part, cst.FormattedString):
            return True
        if isinstance(part, cst.ConcatenatedString):
            parts.extend([part.left, part.right])
    return False
