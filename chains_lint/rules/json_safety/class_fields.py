"""Classes used as types: what kind they are, and whether their fields can travel."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from chains_lint.model.namespace import Namespace
from chains_lint.model.types import ClassField, ClassInfo, StaticValue, TypeExpr, TypeKind
from chains_lint.rules.json_safety.class_facts import DATA_KINDS, ClassFacts, ClassKind
from chains_lint.rules.json_safety.context import CheckContext
from chains_lint.rules.json_safety.findings import local_class, not_json, unknown
from chains_lint.rules.json_safety.names import normalize
from chains_lint.rules.json_safety.results import Finding, Step, dedupe, rebase

if TYPE_CHECKING:
    from chains_lint.rules.json_safety.classifier import JsonSafety

_SKIPPED_FIELD_HEADS = frozenset({"typing.ClassVar", "dataclasses.InitVar"})


class ClassFields:
    """Checks the analysed classes the classifier meets, and their fields (each class once)."""

    def __init__(self, safety: JsonSafety) -> None:
        self.safety = safety
        self._cache: dict[tuple[str, bool], tuple[Finding, ...]] = {}
        self._in_progress: set[str] = set()
        self._cycles = 0

    def check_class(self, expr: TypeExpr, cls: ClassInfo, ctx: CheckContext) -> list[Finding]:
        facts = self.safety.facts(cls)
        kind = facts.kind
        findings: list[Finding] = []
        if kind in DATA_KINDS and not cls.is_top_level:
            findings.append(local_class(expr, cls, kind))
        if kind is ClassKind.PLAIN:
            return [not_json(
                expr,
                f"`{cls.name}` is a plain class, neither a pydantic model nor an enum, and "
                "pydantic has no JSON form for it",
                f"make `{cls.name}` a `pydantic.BaseModel` with typed fields",
            )]
        if kind is ClassKind.UNKNOWN_BASE:
            return [unknown(
                expr,
                f"`{cls.name}` derives from `{facts.unknown_base}`, whose definition the linter "
                "cannot see, so it cannot tell whether pydantic can carry it as JSON",
                f"derive `{cls.name}` from `pydantic.BaseModel` with typed fields",
            )]
        if kind is ClassKind.PYDANTIC_V1_MODEL:
            return [not_json(
                expr,
                f"`{cls.name}` is a pydantic v1 model, which pydantic v2 cannot use",
                f"derive `{cls.name}` from `pydantic.BaseModel` (pydantic v2)",
            )]
        if kind is ClassKind.TYPING_TYPED_DICT:
            return [not_json(
                expr,
                f"`{cls.name}` derives from `typing.TypedDict`, which pydantic rejects before "
                "Python 3.12",
                "import `TypedDict` from `typing_extensions`, or use a pydantic model",
            )]
        if kind in (ClassKind.ENUM, ClassKind.CUSTOM):
            return findings
        return findings + self._fields_of_usage(expr, cls, facts, ctx)

    def _fields_of_usage(
        self, expr: TypeExpr, cls: ClassInfo, facts: ClassFacts, ctx: CheckContext
    ) -> list[Finding]:
        if facts.kind is ClassKind.MODEL:
            bytes_ok = facts.bytes_base64
        elif facts.pydantic_dataclass:
            bytes_ok = False
        else:
            bytes_ok = ctx.bytes_ok  # dataclasses and the like use the enclosing config
        relative = self._class_findings(cls, facts, bytes_ok, ctx.depth)
        return [dataclasses.replace(f, expr=expr) for f in relative]

    def _class_findings(
        self, cls: ClassInfo, facts: ClassFacts, bytes_ok: bool, depth: int
    ) -> tuple[Finding, ...]:
        key = (cls.qualified, bytes_ok)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        if cls.qualified in self._in_progress:
            self._cycles += 1
            return ()
        cycles_before = self._cycles
        self._in_progress.add(cls.qualified)
        try:
            ctx = CheckContext(bytes_ok=bytes_ok, websocket=False, in_model=True, depth=depth + 1)
            found: list[Finding] = []
            for owner, field in self._fields(cls, facts.kind):
                step = Step(f"`{owner.name}.{field.name}`", field.span)
                found += rebase(field.annotation, step, self.safety.check(field.annotation, ctx))
        finally:
            self._in_progress.discard(cls.qualified)
        result = tuple(dedupe(found))
        if self._cycles == cycles_before:
            self._cache[key] = result
        return result

    def _fields(self, cls: ClassInfo, kind: ClassKind) -> list[tuple[ClassInfo, ClassField]]:
        """The data fields of ``cls``, inherited ones first; a redefinition wins."""
        by_name: dict[str, tuple[ClassInfo, ClassField]] = {}
        for owner in reversed(self.safety.lineage(cls)):
            if owner is not cls and self.safety.facts(owner).kind is not kind:
                continue  # e.g. a plain mixin: its annotations are not fields
            for field in owner.fields:
                if self._is_data_field(field, kind):
                    by_name[field.name] = (owner, field)
                else:
                    by_name.pop(field.name, None)
        return list(by_name.values())

    def _is_data_field(self, field: ClassField, kind: ClassKind) -> bool:
        annotation = field.annotation
        if annotation.kind is TypeKind.STRING and annotation.inner is not None:
            annotation = annotation.inner
        if self.safety.head(annotation) in _SKIPPED_FIELD_HEADS:
            return False
        if kind is ClassKind.MODEL:
            if field.name.startswith("_") or field.name == "model_config":
                return False
            if _excluded_field(self.safety.namespace, field.default):
                return False
        return True


def _excluded_field(namespace: Namespace, default: StaticValue | None) -> bool:
    """A pydantic field declared with ``Field(exclude=True)`` is never sent."""
    call = default.call if default is not None else None
    if call is None or normalize(namespace.canonical(call.callee)) != "pydantic.Field":
        return False
    exclude = call.kwarg("exclude")
    return exclude is not None and exclude.literal is True

