"""Dict keys: they become JSON object keys (strings) and must read back as their type."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chains_lint.model.types import ClassInfo, TypeExpr, TypeKind
from chains_lint.rules.json_safety.class_facts import ClassKind, enum_values_are_strings
from chains_lint.rules.json_safety.context import MAX_DEPTH, CheckContext
from chains_lint.rules.json_safety.findings import bad_key, none_key
from chains_lint.rules.json_safety.names import ANNOTATED, BYTES, LITERAL, SAFE_KEYS, UNION_HEADS
from chains_lint.rules.json_safety.results import Finding, rebase

if TYPE_CHECKING:
    from chains_lint.rules.json_safety.classifier import JsonSafety


class DictKeys:
    """Checks the key types of the dicts the classifier meets."""

    def __init__(self, safety: JsonSafety) -> None:
        self.safety = safety

    def check(self, key: TypeExpr, ctx: CheckContext) -> list[Finding]:
        """Dict keys become JSON object keys (strings); they must read back as the type."""
        if ctx.depth > MAX_DEPTH:
            return []
        inner = ctx.deeper()
        if key.kind is TypeKind.STRING and key.inner is not None:
            return self.check(key.inner, inner)
        if key.kind is TypeKind.UNION:
            return [f for member in key.args for f in self.check(member, inner)]
        if key.kind is TypeKind.NONE:
            return [none_key(key)]
        head = self.safety.head(key)
        if head in UNION_HEADS:
            found = [f for member in key.args for f in self.check(member, inner)]
            return [none_key(key), *found] if head == "typing.Optional" else found
        if head == ANNOTATED and key.args:
            return self.check(key.args[0], inner)
        if head in SAFE_KEYS:
            return []
        if head in BYTES and key.kind is TypeKind.NAME:
            return self.safety.check(key, ctx)
        if head == LITERAL:
            return self._literal(key)
        cls = self.safety.class_of(key)
        if (
            cls is not None
            and key.kind is TypeKind.NAME
            and self.safety.facts(cls).kind is ClassKind.ENUM
        ):
            return self._enum(key, cls, ctx)
        alias = self.safety.alias_of(key)
        if alias is not None:
            return rebase(key, self.safety.alias_step(key), self.check(alias, inner))
        findings = self.safety.check(key, ctx)
        if findings:
            return findings
        return [bad_key(key, f"pydantic cannot read a JSON object key back as `{key.text}`")]

    def _literal(self, key: TypeExpr) -> list[Finding]:
        for arg in key.args:
            if arg.kind is TypeKind.VALUE and isinstance(arg.value, str):
                continue
            if arg.kind is TypeKind.VALUE and arg.qualified is not None:
                continue  # an enum member
            return [bad_key(
                key,
                f"the literal key {arg.text} is written as a string and pydantic does not "
                "convert it back",
            )]
        return []

    def _enum(self, key: TypeExpr, cls: ClassInfo, ctx: CheckContext) -> list[Finding]:
        findings = self.safety.check_class(key, cls, ctx)
        if self.safety.facts(cls).str_or_int_enum or enum_values_are_strings(cls):
            return findings
        return [*findings, bad_key(
            key,
            f"the values of enum `{cls.name}` are not all strings, so pydantic cannot read a "
            "JSON object key back as a member",
        )]
