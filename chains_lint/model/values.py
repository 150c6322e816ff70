"""Reading expressions as static values, without executing anything."""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Mapping
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
# Arithmetic folded on int and float constants (``_cpu_count * 3``).
_ARITHMETIC: dict[type[cst.BaseBinaryOp], Callable[[float, float], float]] = {
    cst.Add: operator.add,
    cst.Subtract: operator.sub,
    cst.Multiply: operator.mul,
    cst.FloorDivide: operator.floordiv,
}
_MAX_FOLDED = 10**15
Scope = Mapping[str, cst.BaseExpression]


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


def read_value(
    module: ModuleInfo, node: cst.BaseExpression, _depth: int = 0, scope: Scope | None = None
) -> StaticValue:
    """Read ``node`` as a :class:`StaticValue` in the namespace of ``module``.

    ``scope``: names bound to one value in an enclosing class body (read before the
    module's constants, as Python does in a class body).
    """
    span = module.span_of(node)
    text = module.code_for
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString)):
        return StaticValue(node, span, text, _evaluate_simple(node, node.value))
    if isinstance(node, cst.ConcatenatedString):
        return StaticValue(node, span, text, _evaluate_simple(node, text(node)))
    if isinstance(node, cst.FormattedString):
        return StaticValue(node, span, text, NOT_LITERAL)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = read_value(module, node.expression, _depth, scope)
        if isinstance(inner.literal, (int, float)) and not isinstance(inner.literal, bool):
            return StaticValue(node, span, text, -inner.literal)
        return StaticValue(node, span, text, NOT_LITERAL)
    if isinstance(node, cst.BinaryOperation):
        left = read_value(module, node.left, _depth, scope)
        right = read_value(module, node.right, _depth, scope)
        return StaticValue(node, span, text, _fold(node.operator, left.literal, right.literal))
    if isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        elements = tuple(
            read_value(module, el.value, _depth, scope)
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
        return StaticValue(node, span, text, _read_dict(module, node, _depth, scope))
    if isinstance(node, cst.Call):
        call = read_call(module, node, _depth, scope)
        return StaticValue(node, span, text, NOT_LITERAL, call=call)
    name = dotted_name(node)
    if name is not None:
        if name in ("None", "True", "False"):
            return StaticValue(node, span, text, {"None": None, "True": True, "False": False}[name])
        qualified = module.qualify(name)
        constant = scope.get(name) if scope is not None else None
        if constant is None:
            constant = module.constants.get(name)
            scope = None  # a module constant is read at module level
        if constant is not None and _depth < _MAX_CONSTANT_DEPTH:
            folded = read_value(module, constant, _depth + 1, scope)
            return StaticValue(
                node, span, text, folded.literal, folded.elements, folded.call, qualified
            )
        return StaticValue(node, span, text, NOT_LITERAL, qualified_name=qualified)
    return StaticValue(node, span, text, NOT_LITERAL)


def read_call(
    module: ModuleInfo, node: cst.Call, _depth: int = 0, scope: Scope | None = None
) -> StaticCall:
    callee_name = dotted_name(node.func)
    callee = module.qualify(callee_name) if callee_name else None
    args: list[StaticValue] = []
    kwargs: list[tuple[str, StaticValue]] = []
    star = False
    for arg in node.args:
        if arg.star:
            star = True
            continue
        value = read_value(module, arg.value, _depth, scope)
        if arg.keyword is not None:
            kwargs.append((arg.keyword.value, value))
        else:
            args.append(value)
    return StaticCall(callee, tuple(args), tuple(kwargs), star)


def _read_dict(
    module: ModuleInfo, node: cst.Dict, depth: int, scope: Scope | None
) -> LiteralValue | _NotLiteral:
    result: dict[str, LiteralValue] = {}
    for element in node.elements:
        if not isinstance(element, cst.DictElement):
            return NOT_LITERAL
        key = read_value(module, element.key, depth, scope)
        value = read_value(module, element.value, depth, scope)
        if not isinstance(key.literal, str) or not value.is_literal:
            return NOT_LITERAL
        result[key.literal] = value.literal  # type: ignore[assignment]
    return result


def _fold(
    op: cst.BaseBinaryOp, left: LiteralValue | _NotLiteral, right: LiteralValue | _NotLiteral
) -> LiteralValue | _NotLiteral:
    """``left <op> right`` for int and float literals and + - * //, else not a literal."""
    function = _ARITHMETIC.get(type(op))
    numbers = [v for v in (left, right) if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if function is None or len(numbers) != 2:
        return NOT_LITERAL
    try:
        value = function(numbers[0], numbers[1])
    except (ArithmeticError, ValueError):
        return NOT_LITERAL
    return value if abs(value) <= _MAX_FOLDED else NOT_LITERAL


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
