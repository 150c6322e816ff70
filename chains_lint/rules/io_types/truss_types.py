"""Which I/O types ``truss_chains`` accepts, after ``truss_chains.framework._validate_io_type``."""

from __future__ import annotations

from chains_lint.model.types import TypeExpr, TypeKind
from chains_lint.rules.json_safety import (
    ANNOTATED,
    CONTAINER_HEADS,
    LITERAL,
    SAFE_PYDANTIC,
    SAFE_STDLIB,
    UNION_HEADS,
    ClassKind,
    JsonSafety,
)
from chains_lint.rules.json_safety.names import WEBSOCKET_PROTOCOL

# ``truss_chains.framework._SIMPLE_TYPES`` (besides None and pydantic.BaseModel).
_TRUSS_SIMPLE = frozenset(
    f"builtins.{name}" for name in ("int", "float", "complex", "bool", "str", "bytes")
)
TRUSS_CONTAINERS = frozenset({"builtins.list", "builtins.dict"})
TYPING_CONTAINERS = {"typing.List": "list", "typing.Dict": "dict"}
TRUSS_STREAM_ITEMS = frozenset({"builtins.str", "builtins.bytes"})
TRUSS_ITERATORS = frozenset(
    f"{module}.{name}"
    for module in ("typing", "collections.abc")
    for name in ("AsyncIterator", "Iterator", "AsyncGenerator", "Generator")
)
# Kinds of classes pydantic carries but truss accepts only as fields of a pydantic model.
_MODEL_FIELD_KINDS = (
    ClassKind.ENUM,
    ClassKind.DATACLASS,
    ClassKind.NAMED_TUPLE,
    ClassKind.TYPED_DICT,
    ClassKind.CUSTOM,
)


class TrussTypes:
    """What truss accepts, read with the JSON-safety classifier's view of the namespace."""

    def __init__(self, safety: JsonSafety) -> None:
        self.safety = safety

    def accepted(self, expr: TypeExpr) -> bool:
        """In ``_SIMPLE_TYPES``, or a pydantic model class (generic ones too)."""
        if expr.kind is TypeKind.NONE:
            return True
        if expr.kind not in (TypeKind.NAME, TypeKind.SUBSCRIPT):
            return False
        head = self.safety.head(expr)
        if expr.kind is TypeKind.NAME and (head in _TRUSS_SIMPLE or head == "pydantic.BaseModel"):
            return True
        if expr.kind is TypeKind.NAME and self._sdk_symbol(head) == WEBSOCKET_PROTOCOL:
            return True
        cls = self.safety.class_of(expr)
        return cls is not None and self.safety.facts(cls).kind is ClassKind.MODEL

    def needs_model(self, expr: TypeExpr, head: str) -> bool:
        """Types pydantic carries but truss accepts only as fields of a pydantic model."""
        if head in SAFE_STDLIB or head in SAFE_PYDANTIC:
            return True
        cls = self.safety.class_of(expr)
        if cls is None:
            return False
        return self.safety.facts(cls).kind in _MODEL_FIELD_KINDS

    def rejected_item(self, arg: TypeExpr) -> bool:
        """True when truss certainly rejects ``arg`` as an item, for a reason of its own."""
        resolved = self.resolve_alias(arg)
        if self.safety.new_type_of(resolved) is not None:
            return True
        if self.accepted(resolved):
            return False
        if resolved.kind is TypeKind.UNION:
            return True
        head = self.safety.head(resolved)
        if head is None:
            return False
        if resolved.kind is TypeKind.SUBSCRIPT:
            return head in CONTAINER_HEADS or head in UNION_HEADS or head in (LITERAL, ANNOTATED)
        return head in CONTAINER_HEADS or self.needs_model(resolved, head)

    def resolve_alias(self, expr: TypeExpr) -> TypeExpr:
        current = expr
        for _ in range(8):
            alias = self.safety.alias_of(current)
            if alias is None:
                return current
            current = alias
        return current

    def _sdk_symbol(self, qualified: str | None) -> str | None:
        return self.safety.namespace.sdk_symbol(qualified)
