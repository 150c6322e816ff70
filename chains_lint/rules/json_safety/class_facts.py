"""What kind of class a class is, for pydantic: a model, an enum, a dataclass, a plain class..."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from chains_lint.model.namespace import Namespace
from chains_lint.model.types import ClassInfo, StaticValue
from chains_lint.rules.json_safety.context import MAX_DEPTH
from chains_lint.rules.json_safety.names import SDK_STR_ENUMS, names_in, normalize

_MODEL_BASES = frozenset({"pydantic.BaseModel", "pydantic.RootModel"})
_V1_MODEL_BASES = frozenset({"pydantic.v1.BaseModel"})
_ENUM_BASES = names_in("enum", "Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum")
_STR_INT_ENUM_BASES = names_in("enum", "IntEnum", "StrEnum", "IntFlag")
_STR_INT = names_in("builtins", "str", "int")
_NEUTRAL_BASES = frozenset({"typing.Generic", "typing.Protocol", "abc.ABC"})
_DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass", "pydantic.dataclasses.dataclass"})


class ClassKind(str, enum.Enum):
    MODEL = "pydantic model"
    PYDANTIC_V1_MODEL = "pydantic v1 model"
    ENUM = "enum"
    DATACLASS = "dataclass"
    NAMED_TUPLE = "NamedTuple"
    TYPED_DICT = "TypedDict"
    TYPING_TYPED_DICT = "typing.TypedDict"
    CUSTOM = "custom pydantic type"  # defines __get_pydantic_core_schema__
    PLAIN = "plain class"
    UNKNOWN_BASE = "class with an unknown base"


# Kinds that pydantic carries (given their fields are safe).
DATA_KINDS = frozenset(
    {
        ClassKind.MODEL,
        ClassKind.ENUM,
        ClassKind.DATACLASS,
        ClassKind.NAMED_TUPLE,
        ClassKind.TYPED_DICT,
        ClassKind.CUSTOM,
    }
)
_KIND_FROM_BASE = (
    (_MODEL_BASES, ClassKind.MODEL),
    (_V1_MODEL_BASES, ClassKind.PYDANTIC_V1_MODEL),
    (_ENUM_BASES, ClassKind.ENUM),
    (frozenset({"typing.NamedTuple"}), ClassKind.NAMED_TUPLE),
)
_BASE_KIND_ORDER = (
    ClassKind.MODEL,
    ClassKind.PYDANTIC_V1_MODEL,
    ClassKind.ENUM,
    ClassKind.NAMED_TUPLE,
    ClassKind.TYPED_DICT,
    ClassKind.TYPING_TYPED_DICT,
)


@dataclass(frozen=True)
class ClassFacts:
    kind: ClassKind
    unknown_base: str | None = None  # a base whose definition is not visible
    str_or_int_enum: bool = False  # an enum whose members are str or int
    bytes_base64: bool = False  # a model whose config writes bytes as base64
    pydantic_dataclass: bool = False


class ClassFactsReader:
    """The facts of the analysed classes of one namespace, each read once."""

    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace
        self._facts: dict[str, ClassFacts] = {}
        self._in_progress: set[str] = set()

    def facts(self, cls: ClassInfo) -> ClassFacts:
        """What kind of class ``cls`` is, following its analysed bases."""
        cached = self._facts.get(cls.qualified)
        if cached is not None:
            return cached
        if cls.qualified in self._in_progress or len(self._in_progress) > MAX_DEPTH:
            return ClassFacts(ClassKind.PLAIN)
        self._in_progress.add(cls.qualified)
        try:
            facts = self._compute_facts(cls)
        finally:
            self._in_progress.discard(cls.qualified)
        self._facts[cls.qualified] = facts
        return facts

    def lineage(self, cls: ClassInfo) -> list[ClassInfo]:
        """``cls`` and its analysed bases, nearest first."""
        order: list[ClassInfo] = []
        pending = [cls]
        seen: set[str] = set()
        while pending and len(order) <= MAX_DEPTH:
            current = pending.pop(0)
            if current.qualified in seen:
                continue
            seen.add(current.qualified)
            order.append(current)
            for _, head in self._base_heads(current):
                parent = self.namespace.find_class(head) if head else None
                if parent is not None:
                    pending.append(parent)
        return order

    def _compute_facts(self, cls: ClassInfo) -> ClassFacts:
        kinds: set[ClassKind] = set()
        unknown: str | None = None
        str_int = False
        base64 = _config_writes_base64(self.namespace, cls.attributes.get("model_config"))
        for text, head in self._base_heads(cls):
            name = normalize(head)
            if head is None or name is None:
                unknown = unknown or text
                continue
            base_kind = _kind_of_base(head, name)
            if base_kind is not None:
                kinds.add(base_kind)
                str_int = str_int or name in _STR_INT_ENUM_BASES
                continue
            if name in _STR_INT:
                str_int = True
                continue
            if name.startswith("builtins.") or name in _NEUTRAL_BASES:
                continue
            symbol = self.namespace.sdk_symbol(head)
            if symbol in SDK_STR_ENUMS:
                kinds.add(ClassKind.ENUM)
                str_int = True
                continue
            if symbol is not None:
                continue  # e.g. ChainletBase: a chainlet is a plain class as far as data goes
            parent = self.namespace.find_class(head)
            if parent is None or parent is cls:
                unknown = unknown or head
                continue
            parent_facts = self.facts(parent)
            if parent_facts.kind is ClassKind.UNKNOWN_BASE:
                unknown = unknown or parent_facts.unknown_base
            elif parent_facts.kind is not ClassKind.PLAIN:
                kinds.add(parent_facts.kind)
                str_int = str_int or parent_facts.str_or_int_enum
                base64 = base64 or parent_facts.bytes_base64
        for kind in _BASE_KIND_ORDER:
            if kind in kinds:
                return ClassFacts(kind, str_or_int_enum=str_int, bytes_base64=base64)
        decorators = {normalize(d.qualified) for d in cls.decorators}
        if decorators & _DATACLASS_DECORATORS or ClassKind.DATACLASS in kinds:
            pydantic_dc = "pydantic.dataclasses.dataclass" in decorators
            return ClassFacts(ClassKind.DATACLASS, pydantic_dataclass=pydantic_dc)
        if "__get_pydantic_core_schema__" in cls.methods or ClassKind.CUSTOM in kinds:
            return ClassFacts(ClassKind.CUSTOM)
        if unknown is not None:
            return ClassFacts(ClassKind.UNKNOWN_BASE, unknown_base=unknown)
        return ClassFacts(ClassKind.PLAIN)

    def _base_heads(self, cls: ClassInfo) -> Iterator[tuple[str, str | None]]:
        """(text, canonical qualified name of the head) of each base of ``cls``."""
        for base in cls.bases:
            qualified = self.namespace.base_head(cls, base)
            yield base.text, self.namespace.canonical(qualified) if qualified else None


def _kind_of_base(head: str, name: str) -> ClassKind | None:
    if head == "typing_extensions.TypedDict":
        return ClassKind.TYPED_DICT
    if name == "typing.TypedDict":
        return ClassKind.TYPING_TYPED_DICT
    for bases, kind in _KIND_FROM_BASE:
        if name in bases:
            return kind
    return None


def _config_writes_base64(namespace: Namespace, config: StaticValue | None) -> bool:
    if config is None:
        return False
    settings: dict[str, object] = {}
    if config.call is not None:
        if normalize(namespace.canonical(config.call.callee)) not in (
            "pydantic.ConfigDict",
            "builtins.dict",
        ):
            return False
        settings = {key: value.literal for key, value in config.call.kwargs}
    elif isinstance(config.literal, dict):
        settings = dict(config.literal)
    return (
        settings.get("ser_json_bytes") == "base64" and settings.get("val_json_bytes") == "base64"
    )


def enum_values_are_strings(cls: ClassInfo) -> bool:
    values = [
        value
        for name, value in cls.attributes.items()
        if not (name.startswith("_") and name.endswith("_"))
    ]
    return bool(values) and all(isinstance(v.literal, str) for v in values)

