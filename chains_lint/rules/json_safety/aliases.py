"""Module-level type aliases (``Vector = list[float]``), ``NewType`` and ``TypeVar`` names."""

from __future__ import annotations

from typing import TypeAlias

import libcst as cst

from chains_lint.model.annotations import read_type
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import TypeExpr, TypeKind
from chains_lint.model.values import dotted_name
from chains_lint.rules.json_safety.names import normalize


class TypeVarMarker:
    """Marker: an alias that is a ``TypeVar``."""


TYPE_VAR = TypeVarMarker()
AliasTarget: TypeAlias = TypeExpr | TypeVarMarker


class AliasReader:
    """What the module-level names of one namespace stand for as types, each read once."""

    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace
        self._aliases: dict[str, AliasTarget | None] = {}
        self._new_types: set[str] = set()

    def alias_of(self, expr: TypeExpr) -> TypeExpr | None:
        """The annotation a module-level type alias (``Vector = list[float]``) stands for."""
        canonical = self._canonical_name(expr)
        target = self.alias(canonical) if canonical else None
        if canonical in self._new_types:
            return None
        return target if isinstance(target, TypeExpr) else None

    def new_type_of(self, expr: TypeExpr) -> TypeExpr | None:
        """The underlying type of a ``typing.NewType`` (``UserId = NewType("UserId", int)``)."""
        canonical = self._canonical_name(expr)
        target = self.alias(canonical) if canonical else None
        if canonical not in self._new_types:
            return None
        return target if isinstance(target, TypeExpr) else None

    def _canonical_name(self, expr: TypeExpr) -> str | None:
        if expr.kind is not TypeKind.NAME or expr.qualified is None:
            return None
        return self.namespace.canonical(expr.qualified)

    def alias(self, canonical: str | None) -> AliasTarget | None:
        """What a module-level name assigned a type stands for (None: not an alias)."""
        if canonical is None:
            return None
        if canonical in self._aliases:
            return self._aliases[canonical]
        found = self._constant(canonical)
        result: AliasTarget | None = None
        if found is not None:
            module, node = found
            result = _read_alias(module, node)
            if isinstance(result, TypeExpr) and _is_new_type_call(module, node):
                self._new_types.add(canonical)
        self._aliases[canonical] = result
        return result

    def _constant(self, canonical: str) -> tuple[ModuleInfo, cst.BaseExpression] | None:
        parts = canonical.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = self.namespace.modules.get(".".join(parts[:cut]))
            if module is None:
                continue
            rest = parts[cut:]
            if len(rest) == 1 and rest[0] in module.constants:
                return module, module.constants[rest[0]]
            return None
        return None


def _callee(module: ModuleInfo, node: cst.Call) -> str | None:
    callee = dotted_name(node.func)
    return normalize(module.qualify(callee)) if callee else None


def _is_new_type_call(module: ModuleInfo, node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and _callee(module, node) == "typing.NewType"


def _read_alias(module: ModuleInfo, node: cst.BaseExpression) -> AliasTarget | None:
    if isinstance(node, cst.Call):
        name = _callee(module, node)
        if name == "typing.TypeVar":
            return TYPE_VAR
        if name == "typing.NewType" and len(node.args) >= 2:
            return read_type(module, node.args[1].value)
        return None
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)):
        return None  # a constant value, not a type
    if isinstance(node, (cst.List, cst.Tuple, cst.Dict, cst.Set, cst.Lambda)):
        return None
    return read_type(module, node)

