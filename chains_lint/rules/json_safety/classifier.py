"""The JSON-safety classifier: walks an annotation and reports what cannot travel as JSON."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import libcst as cst

from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import ClassInfo, TypeExpr, TypeKind
from chains_lint.model.values import dotted_name
from chains_lint.rules.json_safety.aliases import AliasReader, AliasTarget, TypeVarMarker
from chains_lint.rules.json_safety.class_facts import ClassFacts, ClassFactsReader
from chains_lint.rules.json_safety.class_fields import ClassFields
from chains_lint.rules.json_safety.context import MAX_DEPTH, CheckContext
from chains_lint.rules.json_safety.dict_keys import DictKeys
from chains_lint.rules.json_safety.findings import (
    arity,
    bytes_in_model,
    invisible,
    iterator,
    known_not_json,
    not_json,
    sdk_object,
    unknown,
    unresolved,
    untyped_container,
)
from chains_lint.rules.json_safety.names import (
    ANNOTATED,
    BYTES,
    CONTAINER_HEADS,
    LITERAL,
    MAPPING_HEADS,
    PYDANTIC_CONSTRAINED,
    SAFE_PYDANTIC,
    SAFE_STDLIB,
    SCALARS,
    SDK_DATA_TYPES,
    SEQUENCE_HEADS,
    STREAM_HEADS,
    TUPLE_HEADS,
    UNION_HEADS,
    WEBSOCKET_PROTOCOL,
    WRAPPERS,
    normalize,
)
from chains_lint.rules.json_safety.results import (
    Classification,
    Finding,
    Step,
    dedupe,
    rebase,
)


class JsonSafety:
    """Classifies annotations against the analysed files of one namespace."""

    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace
        self._classes = ClassFactsReader(namespace)
        self._aliases = AliasReader(namespace)
        self._aliases_in_progress: set[str] = set()
        self._keys = DictKeys(self)
        self._fields = ClassFields(self)

    # -- public API -----------------------------------------------------------

    def classify(self, expr: TypeExpr, *, allow_websocket: bool = False) -> Classification:
        """Classify ``expr`` as it appears directly in a ``run_remote`` signature.

        ``allow_websocket``: ``expr`` is a parameter annotation, where the SDK's
        ``WebSocketProtocol`` marks a websocket endpoint rather than a value.
        """
        ctx = CheckContext(bytes_ok=True, websocket=allow_websocket, in_model=False, depth=0)
        return Classification(tuple(dedupe(self.check(expr, ctx))))

    def head(self, expr: TypeExpr) -> str | None:
        """The normalised canonical name of a NAME or SUBSCRIPT head, or None."""
        if expr.kind not in (TypeKind.NAME, TypeKind.SUBSCRIPT):
            return None
        return normalize(self.namespace.canonical(expr.qualified))

    def class_of(self, expr: TypeExpr) -> ClassInfo | None:
        """The analysed class a NAME or SUBSCRIPT head refers to."""
        if expr.kind not in (TypeKind.NAME, TypeKind.SUBSCRIPT) or expr.qualified is None:
            return None
        return self.namespace.find_class(expr.qualified)

    def alias_of(self, expr: TypeExpr) -> TypeExpr | None:
        """The annotation a module-level type alias (``Vector = list[float]``) stands for."""
        return self._aliases.alias_of(expr)

    def new_type_of(self, expr: TypeExpr) -> TypeExpr | None:
        """The underlying type of a ``typing.NewType`` (``UserId = NewType("UserId", int)``)."""
        return self._aliases.new_type_of(expr)

    def facts(self, cls: ClassInfo) -> ClassFacts:
        """What kind of class ``cls`` is, following its analysed bases."""
        return self._classes.facts(cls)

    def lineage(self, cls: ClassInfo) -> list[ClassInfo]:
        """``cls`` and its analysed bases, nearest first."""
        return self._classes.lineage(cls)

    def check_class(self, expr: TypeExpr, cls: ClassInfo, ctx: CheckContext) -> list[Finding]:
        """``expr``, which refers to the analysed class ``cls``, and the fields of ``cls``."""
        return self._fields.check_class(expr, cls, ctx)

    # -- dispatch ---------------------------------------------------------------

    def check(self, expr: TypeExpr, ctx: CheckContext) -> list[Finding]:
        """The findings for ``expr`` at ``ctx`` (the parts of the classifier recurse here)."""
        if ctx.depth > MAX_DEPTH:
            return []
        kind = expr.kind
        if kind is TypeKind.NONE:
            return []
        if kind is TypeKind.STRING:
            if expr.inner is None:
                return [unknown(expr, f"cannot read the string annotation {expr.text}",
                                 "write the type without quotes")]
            return self.check(expr.inner, dataclasses.replace(ctx, depth=ctx.depth + 1))
        if kind is TypeKind.UNION:
            return [f for member in expr.args for f in self.check(member, ctx.deeper())]
        if kind in (TypeKind.NAME, TypeKind.SUBSCRIPT):
            if expr.qualified is None:
                return self._unresolved(expr, ctx)
            canonical = self.namespace.canonical(expr.qualified) or expr.qualified
            name = normalize(canonical) or canonical
            if kind is TypeKind.NAME:
                return self._check_name(expr, canonical, name, ctx)
            return self._check_subscript(expr, canonical, name, ctx)
        if kind is TypeKind.OTHER and self._is_pydantic_constraint(expr):
            return []
        return [unknown(expr, f"`{expr.text}` is not a type the linter can read",
                         "annotate with a type such as `str`, `list[int]` or a pydantic model")]

    def _check_name(
        self, expr: TypeExpr, canonical: str, name: str, ctx: CheckContext
    ) -> list[Finding]:
        if name in CONTAINER_HEADS:
            return [untyped_container(expr, name)]
        if name in STREAM_HEADS:
            return [iterator(expr)]
        return self._check_named_type(expr, canonical, name, ctx)

    def _check_named_type(
        self, expr: TypeExpr, canonical: str, name: str, ctx: CheckContext
    ) -> list[Finding]:
        """A type referred to by name (the whole of ``expr``, or the head of a subscript).

        ``canonical`` is its qualified name, ``name`` the normalised spelling of it.
        """
        if name in SCALARS or name in SAFE_STDLIB or name in SAFE_PYDANTIC:
            return []
        if name in BYTES:
            return [] if ctx.bytes_ok else [bytes_in_model(expr)]
        known = known_not_json(expr, name)
        if known is not None:
            return [known]
        if self.namespace.sdk_symbol(canonical) is not None:
            return self._sdk_type(expr, canonical, ctx)
        cls = self.namespace.find_class(canonical)
        if cls is not None:
            return self.check_class(expr, cls, ctx)
        alias = self._aliases.alias(canonical)
        if alias is not None:
            return self._check_alias(expr, canonical, alias, ctx)
        return [invisible(expr, canonical, self.namespace.modules)]

    def _check_subscript(
        self, expr: TypeExpr, canonical: str, head: str, ctx: CheckContext
    ) -> list[Finding]:
        args = expr.args
        inner = ctx.deeper()
        if head in UNION_HEADS:
            return [f for arg in args for f in self.check(arg, inner)]
        if head == LITERAL:
            return []
        if head == ANNOTATED or head in WRAPPERS:
            return self.check(args[0], inner) if args else []
        if head in SEQUENCE_HEADS:
            return self._check_sequence(expr, inner)
        if head in MAPPING_HEADS:
            return self._check_mapping(expr, head, inner)
        if head in TUPLE_HEADS:
            return self._check_tuple(expr, inner)
        if head in STREAM_HEADS:
            return [iterator(expr)]
        findings = self._check_named_type(expr, canonical, head, ctx)
        if self.namespace.find_class(canonical) is not None:
            # A generic model such as Page[Item]: its arguments travel too.
            findings += [f for arg in args for f in self.check(arg, inner)]
        return findings

    # -- containers -------------------------------------------------------------

    def _check_sequence(self, expr: TypeExpr, ctx: CheckContext) -> list[Finding]:
        # ``list[int, str]`` is a mistake, but pydantic (and truss) read it as ``list[int]``.
        return [f for arg in expr.args for f in self.check(arg, ctx)]

    def _check_mapping(self, expr: TypeExpr, head: str, ctx: CheckContext) -> list[Finding]:
        if len(expr.args) != 2:
            return [arity(expr, head, "a key and a value type", "dict[str, int]")]
        key, value = expr.args
        return self._keys.check(key, ctx) + self.check(value, ctx)

    def _check_tuple(self, expr: TypeExpr, ctx: CheckContext) -> list[Finding]:
        args = expr.args
        if len(args) == 2 and args[1].kind is TypeKind.ELLIPSIS:
            return self.check(args[0], ctx)
        findings: list[Finding] = []
        for arg in tuple_items(expr):
            if arg.kind is TypeKind.ELLIPSIS:
                findings.append(not_json(
                    arg, "`...` is allowed only as the second of two tuple arguments",
                    "write `tuple[int, ...]` for a tuple of any length",
                ))
            else:
                findings += self.check(arg, ctx)
        return findings

    # -- aliases ----------------------------------------------------------------

    def _check_alias(
        self, expr: TypeExpr, canonical: str, alias: AliasTarget, ctx: CheckContext
    ) -> list[Finding]:
        if isinstance(alias, TypeVarMarker):
            if ctx.in_model:
                return []  # a generic model's parameter: its arguments are checked at use
            return [unknown(
                expr, f"`{expr.text}` is a type variable, so the type that travels is not fixed",
                "annotate with a concrete type",
            )]
        if canonical in self._aliases_in_progress:
            return []
        self._aliases_in_progress.add(canonical)
        try:
            found = self.check(alias, ctx.deeper())
        finally:
            self._aliases_in_progress.discard(canonical)
        return rebase(expr, self.alias_step(expr), found)

    def alias_step(self, expr: TypeExpr) -> Step:
        canonical = self.namespace.canonical(expr.qualified) or expr.text
        target = self._aliases.alias(canonical)
        span = target.span if isinstance(target, TypeExpr) else expr.span
        return Step(f"alias `{expr.text}`", span)

    # -- helpers ----------------------------------------------------------------

    def _sdk_type(self, expr: TypeExpr, canonical: str, ctx: CheckContext) -> list[Finding]:
        symbol = self.namespace.sdk_symbol(canonical)
        if symbol in SDK_DATA_TYPES:
            return []
        websocket = symbol == WEBSOCKET_PROTOCOL
        if websocket and ctx.websocket:
            return []
        return [sdk_object(expr, websocket=websocket)]

    def _unresolved(self, expr: TypeExpr, ctx: CheckContext) -> list[Finding]:
        written = expr.written or expr.text
        nested = self._nested_class_named(expr, written)
        if nested is not None:
            return self.check_class(expr, nested, ctx)
        return [unresolved(expr, written)]

    def _nested_class_named(self, expr: TypeExpr, written: str) -> ClassInfo | None:
        """A class nested in a function or class of the annotation's file, by bare name."""
        if "." in written:
            return None
        matches = [
            cls
            for module in self._modules_of_file(expr)
            for cls in module.nested_classes
            if cls.name == written
        ]
        return matches[0] if len(matches) == 1 else None

    def _modules_of_file(self, expr: TypeExpr) -> Iterator[ModuleInfo]:
        """The analysed modules read from the file ``expr`` is written in."""
        path = expr.span.path
        return (m for m in self.namespace.modules.values() if m.display_path == path)

    def _is_pydantic_constraint(self, expr: TypeExpr) -> bool:
        """``conint(gt=0)`` and friends: pydantic's constrained types."""
        node = expr.node
        if not isinstance(node, cst.Call):
            return False
        callee = dotted_name(node.func)
        if callee is None:
            return False
        module = next(self._modules_of_file(expr), None)
        qualified = module.qualify(callee) if module is not None else None
        return normalize(self.namespace.canonical(qualified)) in PYDANTIC_CONSTRAINED


def tuple_items(expr: TypeExpr) -> Iterator[TypeExpr]:
    """The arguments of a ``tuple[...]`` annotation, but for the ``()`` of ``tuple[()]``."""
    for arg in expr.args:
        if not (arg.kind is TypeKind.OTHER and arg.text.replace(" ", "") == "()"):
            yield arg
