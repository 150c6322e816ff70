"""Whether a type annotation can travel as JSON through pydantic, decided statically.

:class:`JsonSafety` classifies one annotation (a :class:`TypeExpr`) in the
namespace of the analysed files: it is *safe*, *unsafe* (with reasons), or
*unknown* (with reasons: the linter cannot see enough to tell). Each reason is a
:class:`Finding` that points at the most precise part of the annotation and,
for problems inside pydantic models or type aliases, lists the fields and
aliases it was reached through.

Policy (what "safe" means here: pydantic v2 writes the value as JSON and reads
it back as the same type):

- Primitives, ``None``, unions, ``Literal``, ``Annotated[T, ...]``, lists,
  sequences, sets (pydantic writes them as arrays and reads them back into
  sets), tuples (fixed and ``tuple[T, ...]``), dicts whose keys survive being
  JSON object keys (strings, numbers, string/int enums, string literals, uuids,
  dates), ``datetime``/``uuid``/``decimal``/``pathlib`` values and common
  pydantic types are safe.
- Enums, pydantic models, dataclasses, ``NamedTuple`` and
  ``typing_extensions.TypedDict`` classes defined in the analysed files are
  safe when their fields are; a model used as an I/O type must be defined at
  module top level (the generated server imports it by name).
- ``bytes`` directly in the signature is safe: the generated request and
  response models encode bytes as base64. Inside a user's pydantic model the
  model's own config applies; pydantic's default writes bytes as UTF-8 text and
  fails on binary data, so ``bytes`` there is unsafe unless the model sets
  ``ser_json_bytes`` and ``val_json_bytes`` to ``"base64"``.
- ``Any``/``object``, bare ``pydantic.BaseModel`` (pydantic serialises by the
  declared type, so no field is sent), callables, iterators, plain classes,
  numpy/torch/pandas/PIL objects and secrets are unsafe.
- Containers without item types (``list``, ``dict``...) are unknown: pydantic
  accepts them but cannot check their items. Classes the linter cannot see
  (third-party packages) are unknown.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from chains_lint.diagnostics import Span
from chains_lint.model.annotations import read_type
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import ClassField, ClassInfo, StaticValue, TypeExpr, TypeKind
from chains_lint.model.values import dotted_name

_MAX_DEPTH = 48
_WEBSOCKET = "WebSocketProtocol"


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------


def normalize(qualified: str | None) -> str | None:
    """One spelling per type: ``typing_extensions.X`` is ``typing.X``, and so on."""
    if qualified is None:
        return None
    head, _, rest = qualified.partition(".")
    if head == "typing_extensions":
        return f"typing.{rest}"
    return _ALIASES.get(qualified, qualified)


_ALIASES = {
    "pydantic.main.BaseModel": "pydantic.BaseModel",
    "pydantic.root_model.RootModel": "pydantic.RootModel",
    "pydantic.v1.main.BaseModel": "pydantic.v1.BaseModel",
    "pydantic.config.ConfigDict": "pydantic.ConfigDict",
    "pydantic.fields.Field": "pydantic.Field",
    "pydantic.dataclasses.dataclass": "pydantic.dataclasses.dataclass",
    "typing.re.Pattern": "typing.Pattern",
}


def _names(module: str, *names: str) -> frozenset[str]:
    return frozenset(f"{module}.{name}" for name in names)


SCALARS = _names("builtins", "str", "int", "float", "bool", "complex")
BYTES = frozenset({"builtins.bytes", "pydantic.StrictBytes"})
SAFE_STDLIB = (
    _names("datetime", "datetime", "date", "time", "timedelta")
    | _names("uuid", "UUID")
    | _names("decimal", "Decimal")
    | _names("pathlib", "Path", "PurePath", "PosixPath", "PurePosixPath", "WindowsPath")
    | _names("pathlib", "PureWindowsPath")
    | _names(
        "ipaddress",
        "IPv4Address",
        "IPv6Address",
        "IPv4Network",
        "IPv6Network",
        "IPv4Interface",
        "IPv6Interface",
    )
    | _names("re", "Pattern")
    | _names("typing", "Pattern")
)
SAFE_PYDANTIC = _names(
    "pydantic",
    "AnyUrl",
    "AnyHttpUrl",
    "HttpUrl",
    "FileUrl",
    "WebsocketUrl",
    "AnyWebsocketUrl",
    "EmailStr",
    "NameEmail",
    "IPvAnyAddress",
    "IPvAnyInterface",
    "IPvAnyNetwork",
    "PositiveInt",
    "NegativeInt",
    "NonNegativeInt",
    "NonPositiveInt",
    "PositiveFloat",
    "NegativeFloat",
    "NonNegativeFloat",
    "NonPositiveFloat",
    "FiniteFloat",
    "StrictStr",
    "StrictInt",
    "StrictFloat",
    "StrictBool",
    "Base64Str",
    "Base64UrlStr",
    "Base64Bytes",
    "Base64UrlBytes",
    "UUID1",
    "UUID3",
    "UUID4",
    "UUID5",
    "AwareDatetime",
    "NaiveDatetime",
    "PastDate",
    "FutureDate",
    "PastDatetime",
    "FutureDatetime",
    "ByteSize",
    "JsonValue",
)
# Values that survive being the key of a JSON object (a string) and read back.
SAFE_KEYS = (
    _names("builtins", "str", "int", "float", "bool", "complex")
    | _names("datetime", "datetime", "date", "time")
    | _names("uuid", "UUID")
    | _names("decimal", "Decimal")
    | _names("pydantic", "StrictStr", "StrictInt", "UUID1", "UUID3", "UUID4", "UUID5")
)

_ABC = "collections.abc"
SEQUENCE_HEADS = (
    _names("builtins", "list", "set", "frozenset")
    | _names("typing", "List", "Set", "FrozenSet", "Sequence", "MutableSequence")
    | _names("typing", "AbstractSet", "MutableSet", "Deque")
    | _names(_ABC, "Sequence", "MutableSequence", "Set", "MutableSet")
    | _names("collections", "deque")
)
MAPPING_HEADS = (
    _names("builtins", "dict")
    | _names("typing", "Dict", "Mapping", "MutableMapping", "OrderedDict", "DefaultDict")
    | _names(_ABC, "Mapping", "MutableMapping")
    | _names("collections", "OrderedDict", "defaultdict")
)
TUPLE_HEADS = frozenset({"builtins.tuple", "typing.Tuple"})
CONTAINER_HEADS = SEQUENCE_HEADS | MAPPING_HEADS | TUPLE_HEADS
UNION_HEADS = frozenset({"typing.Union", "typing.Optional"})
LITERAL = "typing.Literal"
ANNOTATED = "typing.Annotated"
# Wrappers whose first argument is the type that travels.
WRAPPERS = _names("typing", "Final", "Required", "NotRequired", "ReadOnly", "ClassVar") | {
    "pydantic.Json"
}
STREAM_HEADS = (
    _names("typing", "AsyncIterator", "Iterator", "AsyncGenerator", "Generator")
    | _names("typing", "AsyncIterable", "Iterable")
    | _names(_ABC, "AsyncIterator", "Iterator", "AsyncGenerator", "Generator")
    | _names(_ABC, "AsyncIterable", "Iterable")
)
_CALLABLES = _names("typing", "Callable", "Awaitable", "Coroutine") | _names(
    _ABC, "Callable", "Awaitable", "Coroutine"
)
_TYPE_OBJECTS = frozenset({"builtins.type", "typing.Type"})
_ANY = frozenset({"typing.Any", "builtins.object"})
_SECRETS = _names("pydantic", "SecretStr", "SecretBytes")
_PYDANTIC_CON = _names(
    "pydantic",
    "conint",
    "confloat",
    "constr",
    "conlist",
    "conset",
    "confrozenset",
    "condecimal",
    "condate",
)

_MODEL_BASES = frozenset({"pydantic.BaseModel", "pydantic.RootModel"})
_V1_MODEL_BASES = frozenset({"pydantic.v1.BaseModel"})
_ENUM_BASES = _names("enum", "Enum", "IntEnum", "StrEnum", "Flag", "IntFlag", "ReprEnum")
_STR_INT_ENUM_BASES = _names("enum", "IntEnum", "StrEnum", "IntFlag")
_STR_INT = _names("builtins", "str", "int")
_NEUTRAL_BASES = frozenset({"typing.Generic", "typing.Protocol", "abc.ABC"})
_DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass", "pydantic.dataclasses.dataclass"})
_SKIPPED_FIELD_HEADS = frozenset({"typing.ClassVar", "dataclasses.InitVar"})

# Third-party array/frame/image libraries: (why, how to send the data instead).
_DATA_LIBRARIES = {
    "numpy": ("numpy arrays and scalars", "send `list[float]` (e.g. `array.tolist()`)"),
    "torch": ("torch tensors", "send `list[float]` (e.g. `tensor.tolist()`)"),
    "tensorflow": ("tensorflow tensors", "send `list[float]`"),
    "jax": ("jax arrays", "send `list[float]`"),
    "cupy": ("cupy arrays", "send `list[float]`"),
    "pandas": ("pandas objects", "send `list[dict[str, ...]]` (`frame.to_dict('records')`)"),
    "polars": ("polars objects", "send `list[dict[str, ...]]` (`frame.to_dicts()`)"),
    "PIL": ("PIL images", "send the image as a base64-encoded `str` or a URL"),
}


def _top_module(name: str) -> str:
    return name.partition(".")[0]


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


class Verdict(str, enum.Enum):
    SAFE = "safe"
    UNKNOWN = "unknown"
    UNSAFE = "unsafe"


class Problem(str, enum.Enum):
    NOT_JSON = "not_json"  # pydantic cannot carry it as JSON
    BYTES = "bytes"  # bytes inside a model written as UTF-8 text
    LOCAL_CLASS = "local_class"  # a model/enum defined inside a function or class
    UNTYPED = "untyped"  # a container without item types
    UNKNOWN = "unknown"  # the linter cannot see or read the type

    @property
    def verdict(self) -> Verdict:
        if self in (Problem.UNTYPED, Problem.UNKNOWN):
            return Verdict.UNKNOWN
        return Verdict.UNSAFE


@dataclass(frozen=True)
class Step:
    """A field or alias a finding was reached through, e.g. ``Query.embedding``."""

    label: str  # "`Query.embedding`" or "alias `Vector`"
    span: Span


@dataclass(frozen=True)
class Finding:
    problem: Problem
    expr: TypeExpr  # the most precise part of the classified annotation
    culprit: TypeExpr  # the offending annotation itself (a field's, an alias's...)
    reason: str  # why, without a trailing period
    fix: str  # how to fix it, without a trailing period
    via: tuple[Step, ...] = ()

    @property
    def verdict(self) -> Verdict:
        return self.problem.verdict


@dataclass(frozen=True)
class Classification:
    findings: tuple[Finding, ...]

    @property
    def verdict(self) -> Verdict:
        verdicts = {f.verdict for f in self.findings}
        if Verdict.UNSAFE in verdicts:
            return Verdict.UNSAFE
        if Verdict.UNKNOWN in verdicts:
            return Verdict.UNKNOWN
        return Verdict.SAFE

    @property
    def is_safe(self) -> bool:
        return not self.findings


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


@dataclass(frozen=True)
class _Ctx:
    bytes_ok: bool  # bytes here travel as base64 (outside user models)
    websocket: bool  # a websocket marker is allowed here (a top-level parameter)
    in_model: bool  # inside the fields of a class
    depth: int

    def deeper(self) -> _Ctx:
        return dataclasses.replace(self, websocket=False, depth=self.depth + 1)


class _TypeVar:
    """Marker: an alias that is a ``TypeVar``."""


_TYPE_VAR = _TypeVar()


# ---------------------------------------------------------------------------
# The classifier
# ---------------------------------------------------------------------------


class JsonSafety:
    """Classifies annotations against the analysed files of one namespace."""

    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace
        self._facts: dict[str, ClassFacts] = {}
        self._facts_in_progress: set[str] = set()
        self._class_cache: dict[tuple[str, bool], tuple[Finding, ...]] = {}
        self._classes_in_progress: set[str] = set()
        self._cycles = 0
        self._aliases: dict[str, TypeExpr | _TypeVar | None] = {}
        self._aliases_in_progress: set[str] = set()
        self._new_types: set[str] = set()

    # -- public API -----------------------------------------------------------

    def classify(self, expr: TypeExpr, *, allow_websocket: bool = False) -> Classification:
        """Classify ``expr`` as it appears directly in a ``run_remote`` signature.

        ``allow_websocket``: ``expr`` is a parameter annotation, where the SDK's
        ``WebSocketProtocol`` marks a websocket endpoint rather than a value.
        """
        ctx = _Ctx(bytes_ok=True, websocket=allow_websocket, in_model=False, depth=0)
        return Classification(tuple(_dedupe(self._check(expr, ctx))))

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
        canonical = self._canonical_name(expr)
        target = self._alias(canonical) if canonical else None
        if canonical in self._new_types:
            return None
        return target if isinstance(target, TypeExpr) else None

    def new_type_of(self, expr: TypeExpr) -> TypeExpr | None:
        """The underlying type of a ``typing.NewType`` (``UserId = NewType("UserId", int)``)."""
        canonical = self._canonical_name(expr)
        target = self._alias(canonical) if canonical else None
        if canonical not in self._new_types:
            return None
        return target if isinstance(target, TypeExpr) else None

    def _canonical_name(self, expr: TypeExpr) -> str | None:
        if expr.kind is not TypeKind.NAME or expr.qualified is None:
            return None
        return self.namespace.canonical(expr.qualified)

    def facts(self, cls: ClassInfo) -> ClassFacts:
        """What kind of class ``cls`` is, following its analysed bases."""
        cached = self._facts.get(cls.qualified)
        if cached is not None:
            return cached
        if cls.qualified in self._facts_in_progress or len(self._facts_in_progress) > _MAX_DEPTH:
            return ClassFacts(ClassKind.PLAIN)
        self._facts_in_progress.add(cls.qualified)
        try:
            facts = self._compute_facts(cls)
        finally:
            self._facts_in_progress.discard(cls.qualified)
        self._facts[cls.qualified] = facts
        return facts

    # -- dispatch ---------------------------------------------------------------

    def _check(self, expr: TypeExpr, ctx: _Ctx) -> list[Finding]:
        if ctx.depth > _MAX_DEPTH:
            return []
        kind = expr.kind
        if kind is TypeKind.NONE:
            return []
        if kind is TypeKind.STRING:
            if expr.inner is None:
                return [_unknown(expr, f"cannot read the string annotation {expr.text}",
                                 "write the type without quotes")]
            return self._check(expr.inner, dataclasses.replace(ctx, depth=ctx.depth + 1))
        if kind is TypeKind.UNION:
            return [f for member in expr.args for f in self._check(member, ctx.deeper())]
        if kind is TypeKind.NAME:
            return self._check_name(expr, ctx)
        if kind is TypeKind.SUBSCRIPT:
            return self._check_subscript(expr, ctx)
        if kind is TypeKind.OTHER and self._is_pydantic_constraint(expr):
            return []
        return [_unknown(expr, f"`{expr.text}` is not a type the linter can read",
                         "annotate with a type such as `str`, `list[int]` or a pydantic model")]

    def _check_name(self, expr: TypeExpr, ctx: _Ctx) -> list[Finding]:
        if expr.qualified is None:
            return self._unresolved(expr, ctx)
        canonical = self.namespace.canonical(expr.qualified) or expr.qualified
        name = normalize(canonical) or canonical
        if name in CONTAINER_HEADS:
            return [_untyped_container(expr, name)]
        if name in STREAM_HEADS:
            return [_iterator(expr)]
        return self._check_named_type(expr, canonical, ctx)

    def _check_named_type(self, expr: TypeExpr, canonical: str, ctx: _Ctx) -> list[Finding]:
        """A type referred to by name (the whole of ``expr``, or the head of a subscript)."""
        name = normalize(canonical) or canonical
        if name in SCALARS or name in SAFE_STDLIB or name in SAFE_PYDANTIC:
            return []
        if name in BYTES:
            return [] if ctx.bytes_ok else [_bytes_in_model(expr)]
        known = _known_not_json(expr, name)
        if known is not None:
            return [known]
        if self.namespace.sdk_symbol(canonical) is not None:
            return self._sdk_type(expr, canonical, ctx)
        cls = self.namespace.find_class(canonical)
        if cls is not None:
            return self._check_class(expr, cls, ctx)
        alias = self._alias(canonical)
        if alias is not None:
            return self._check_alias(expr, canonical, alias, ctx)
        return [self._invisible(expr, canonical)]

    def _check_subscript(self, expr: TypeExpr, ctx: _Ctx) -> list[Finding]:
        if expr.qualified is None:
            return self._unresolved(expr, ctx)
        canonical = self.namespace.canonical(expr.qualified) or expr.qualified
        head = normalize(canonical) or canonical
        args = expr.args
        inner = ctx.deeper()
        if head in UNION_HEADS:
            return [f for arg in args for f in self._check(arg, inner)]
        if head == LITERAL:
            return []
        if head == ANNOTATED or head in WRAPPERS:
            return self._check(args[0], inner) if args else []
        if head in SEQUENCE_HEADS:
            return self._check_sequence(expr, inner)
        if head in MAPPING_HEADS:
            return self._check_mapping(expr, head, inner)
        if head in TUPLE_HEADS:
            return self._check_tuple(expr, inner)
        if head in STREAM_HEADS:
            return [_iterator(expr)]
        findings = self._check_named_type(expr, canonical, ctx)
        if self.namespace.find_class(canonical) is not None:
            # A generic model such as Page[Item]: its arguments travel too.
            findings += [f for arg in args for f in self._check(arg, inner)]
        return findings

    # -- containers -------------------------------------------------------------

    def _check_sequence(self, expr: TypeExpr, ctx: _Ctx) -> list[Finding]:
        # ``list[int, str]`` is a mistake, but pydantic (and truss) read it as ``list[int]``.
        return [f for arg in expr.args for f in self._check(arg, ctx)]

    def _check_mapping(self, expr: TypeExpr, head: str, ctx: _Ctx) -> list[Finding]:
        if len(expr.args) != 2:
            return [_arity(expr, head, "a key and a value type", "dict[str, int]")]
        key, value = expr.args
        return self._check_key(key, ctx) + self._check(value, ctx)

    def _check_tuple(self, expr: TypeExpr, ctx: _Ctx) -> list[Finding]:
        args = expr.args
        if len(args) == 2 and args[1].kind is TypeKind.ELLIPSIS:
            return self._check(args[0], ctx)
        findings: list[Finding] = []
        for arg in args:
            if arg.kind is TypeKind.ELLIPSIS:
                findings.append(_not_json(
                    arg, "`...` is allowed only as the second of two tuple arguments",
                    "write `tuple[int, ...]` for a tuple of any length",
                ))
            elif not (arg.kind is TypeKind.OTHER and arg.text.replace(" ", "") == "()"):
                findings += self._check(arg, ctx)
        return findings

    def _check_key(self, key: TypeExpr, ctx: _Ctx) -> list[Finding]:
        """Dict keys become JSON object keys (strings); they must read back as the type."""
        if ctx.depth > _MAX_DEPTH:
            return []
        inner = ctx.deeper()
        if key.kind is TypeKind.STRING and key.inner is not None:
            return self._check_key(key.inner, inner)
        if key.kind is TypeKind.UNION:
            return [f for member in key.args for f in self._check_key(member, inner)]
        if key.kind is TypeKind.NONE:
            return [_none_key(key)]
        head = self.head(key)
        if head in UNION_HEADS:
            found = [f for member in key.args for f in self._check_key(member, inner)]
            return [_none_key(key), *found] if head == "typing.Optional" else found
        if head == ANNOTATED and key.args:
            return self._check_key(key.args[0], inner)
        if head in SAFE_KEYS:
            return []
        if head in BYTES and key.kind is TypeKind.NAME:
            return self._check(key, ctx)
        if head == LITERAL:
            return self._check_literal_key(key)
        cls = self.class_of(key)
        if cls is not None and key.kind is TypeKind.NAME and self.facts(cls).kind is ClassKind.ENUM:
            return self._check_enum_key(key, cls, ctx)
        alias = self.alias_of(key)
        if alias is not None:
            return self._rebase(key, self._alias_step(key), self._check_key(alias, inner))
        findings = self._check(key, ctx)
        if findings:
            return findings
        return [_bad_key(key, f"pydantic cannot read a JSON object key back as `{key.text}`")]

    def _check_literal_key(self, key: TypeExpr) -> list[Finding]:
        for arg in key.args:
            if arg.kind is TypeKind.VALUE and isinstance(arg.value, str):
                continue
            if arg.kind is TypeKind.VALUE and arg.qualified is not None:
                continue  # an enum member
            return [_bad_key(key, f"the literal key {arg.text} is written as a string and "
                                  "pydantic does not convert it back")]
        return []

    def _check_enum_key(self, key: TypeExpr, cls: ClassInfo, ctx: _Ctx) -> list[Finding]:
        findings = self._check_class(key, cls, ctx)
        if self.facts(cls).str_or_int_enum or _enum_values_are_strings(cls):
            return findings
        return [*findings, _bad_key(
            key,
            f"the values of enum `{cls.name}` are not all strings, so pydantic cannot read a "
            "JSON object key back as a member",
        )]

    # -- classes ----------------------------------------------------------------

    def _check_class(self, expr: TypeExpr, cls: ClassInfo, ctx: _Ctx) -> list[Finding]:
        facts = self.facts(cls)
        kind = facts.kind
        findings: list[Finding] = []
        if kind in DATA_KINDS and not cls.is_top_level:
            findings.append(self._local_class(expr, cls, kind))
        if kind is ClassKind.PLAIN:
            return [_not_json(
                expr,
                f"`{cls.name}` is a plain class, neither a pydantic model nor an enum, and "
                "pydantic has no JSON form for it",
                f"make `{cls.name}` a `pydantic.BaseModel` with typed fields",
            )]
        if kind is ClassKind.UNKNOWN_BASE:
            return [_unknown(
                expr,
                f"`{cls.name}` derives from `{facts.unknown_base}`, whose definition the linter "
                "cannot see, so it cannot tell whether pydantic can carry it as JSON",
                f"derive `{cls.name}` from `pydantic.BaseModel` with typed fields",
            )]
        if kind is ClassKind.PYDANTIC_V1_MODEL:
            return [_not_json(
                expr,
                f"`{cls.name}` is a pydantic v1 model, which pydantic v2 cannot use",
                f"derive `{cls.name}` from `pydantic.BaseModel` (pydantic v2)",
            )]
        if kind is ClassKind.TYPING_TYPED_DICT:
            return [_not_json(
                expr,
                f"`{cls.name}` derives from `typing.TypedDict`, which pydantic rejects before "
                "Python 3.12",
                "import `TypedDict` from `typing_extensions`, or use a pydantic model",
            )]
        if kind in (ClassKind.ENUM, ClassKind.CUSTOM):
            return findings
        return findings + self._fields_of_usage(expr, cls, facts, ctx)

    def _fields_of_usage(
        self, expr: TypeExpr, cls: ClassInfo, facts: ClassFacts, ctx: _Ctx
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
        cached = self._class_cache.get(key)
        if cached is not None:
            return cached
        if cls.qualified in self._classes_in_progress:
            self._cycles += 1
            return ()
        cycles_before = self._cycles
        self._classes_in_progress.add(cls.qualified)
        try:
            ctx = _Ctx(bytes_ok=bytes_ok, websocket=False, in_model=True, depth=depth + 1)
            found: list[Finding] = []
            for owner, field in self._fields(cls, facts.kind):
                step = Step(f"`{owner.name}.{field.name}`", field.span)
                found += self._rebase(field.annotation, step, self._check(field.annotation, ctx))
        finally:
            self._classes_in_progress.discard(cls.qualified)
        result = tuple(_dedupe(found))
        if self._cycles == cycles_before:
            self._class_cache[key] = result
        return result

    def _fields(self, cls: ClassInfo, kind: ClassKind) -> list[tuple[ClassInfo, ClassField]]:
        """The data fields of ``cls``, inherited ones first; a redefinition wins."""
        by_name: dict[str, tuple[ClassInfo, ClassField]] = {}
        for owner in reversed(self._lineage(cls)):
            if owner is not cls and self.facts(owner).kind is not kind:
                continue  # e.g. a plain mixin: its annotations are not fields
            for field in owner.fields:
                if self._is_data_field(field, kind):
                    by_name[field.name] = (owner, field)
                else:
                    by_name.pop(field.name, None)
        return list(by_name.values())

    def _lineage(self, cls: ClassInfo) -> list[ClassInfo]:
        """``cls`` and its analysed bases, nearest first."""
        order: list[ClassInfo] = []
        pending = [cls]
        seen: set[str] = set()
        while pending and len(order) <= _MAX_DEPTH:
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

    def _is_data_field(self, field: ClassField, kind: ClassKind) -> bool:
        annotation = field.annotation
        if annotation.kind is TypeKind.STRING and annotation.inner is not None:
            annotation = annotation.inner
        if self.head(annotation) in _SKIPPED_FIELD_HEADS:
            return False
        if kind is ClassKind.MODEL:
            if field.name.startswith("_") or field.name == "model_config":
                return False
            if _excluded_field(self.namespace, field.default):
                return False
        return True

    def _local_class(self, expr: TypeExpr, cls: ClassInfo, kind: ClassKind) -> Finding:
        prefix = f"{cls.module_name}." if cls.module_name else ""
        dotted = cls.qualified[len(prefix):] if cls.qualified.startswith(prefix) else cls.name
        owner = dotted.rpartition(".")[0] or "another scope"
        return Finding(
            Problem.LOCAL_CLASS,
            expr,
            expr,
            f"the {kind.value} `{cls.name}` is defined inside `{owner}`, so the generated "
            "server cannot import it",
            f"move `{cls.name}` to module top level",
        )

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
            if self.namespace.sdk_symbol(head) is not None:
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
        module = self.namespace.modules.get(cls.module_name)
        for base in cls.bases:
            node = base.node
            qualified = base.qualified_name
            if isinstance(node, cst.Subscript) and module is not None:
                head = dotted_name(node.value)
                qualified = module.qualify(head) if head else None
            yield base.text, self.namespace.canonical(qualified) if qualified else None

    # -- aliases ----------------------------------------------------------------

    def _alias(self, canonical: str | None) -> TypeExpr | _TypeVar | None:
        """What a module-level name assigned a type stands for (None: not an alias)."""
        if canonical is None:
            return None
        if canonical in self._aliases:
            return self._aliases[canonical]
        found = self._constant(canonical)
        result: TypeExpr | _TypeVar | None = None
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

    def _check_alias(
        self, expr: TypeExpr, canonical: str, alias: TypeExpr | _TypeVar, ctx: _Ctx
    ) -> list[Finding]:
        if isinstance(alias, _TypeVar):
            if ctx.in_model:
                return []  # a generic model's parameter: its arguments are checked at use
            return [_unknown(
                expr, f"`{expr.text}` is a type variable, so the type that travels is not fixed",
                "annotate with a concrete type",
            )]
        if canonical in self._aliases_in_progress:
            return []
        self._aliases_in_progress.add(canonical)
        try:
            found = self._check(alias, ctx.deeper())
        finally:
            self._aliases_in_progress.discard(canonical)
        return self._rebase(expr, self._alias_step(expr), found)

    def _alias_step(self, expr: TypeExpr) -> Step:
        canonical = self.namespace.canonical(expr.qualified) or expr.text
        target = self._alias(canonical)
        span = target.span if isinstance(target, TypeExpr) else expr.span
        return Step(f"alias `{expr.text}`", span)

    # -- helpers ----------------------------------------------------------------

    @staticmethod
    def _rebase(expr: TypeExpr, step: Step, findings: list[Finding]) -> list[Finding]:
        """Findings inside a field or alias, re-anchored at ``expr`` that uses it."""
        return [
            dataclasses.replace(f, expr=expr, culprit=f.culprit, via=(step, *f.via))
            for f in findings
        ]

    def _sdk_type(self, expr: TypeExpr, canonical: str, ctx: _Ctx) -> list[Finding]:
        if self.namespace.sdk_symbol(canonical) == _WEBSOCKET:
            if ctx.websocket:
                return []
            return [_not_json(
                expr, "a websocket is a connection, not a value that can be sent as JSON",
                "use `WebSocketProtocol` only as the sole parameter of `run_remote`",
            )]
        return [_not_json(
            expr, f"`{expr.text}` is an object of the chain SDK, not data that can be sent "
                  "as JSON",
            "send plain data (strings, numbers, lists, pydantic models) instead",
        )]

    def _unresolved(self, expr: TypeExpr, ctx: _Ctx) -> list[Finding]:
        written = expr.written or expr.text
        nested = self._nested_class_named(expr, written)
        if nested is not None:
            return self._check_class(expr, nested, ctx)
        return [_unknown(
            expr,
            f"cannot resolve `{written}`: it is neither imported nor defined at module level",
            f"import `{written}` or define it at module top level",
        )]

    def _nested_class_named(self, expr: TypeExpr, written: str) -> ClassInfo | None:
        """A class nested in a function or class of the annotation's file, by bare name."""
        if "." in written:
            return None
        matches = [
            cls
            for module in self.namespace.modules.values()
            if module.display_path == expr.span.path
            for cls in module.nested_classes
            if cls.name == written
        ]
        return matches[0] if len(matches) == 1 else None

    def _invisible(self, expr: TypeExpr, canonical: str) -> Finding:
        module = _top_module(canonical)
        if module in self.namespace.modules or canonical.rpartition(".")[0] in (
            self.namespace.modules
        ):
            reason = f"cannot find the definition of `{canonical}` in the analysed files"
        elif module in ("typing", "collections", "builtins", "types"):
            reason = f"`{canonical}` is not a type the linter knows pydantic can carry as JSON"
        else:
            reason = (
                f"cannot see the definition of `{canonical}` (module `{module}` is not among "
                "the analysed files), so the linter cannot tell whether pydantic can carry "
                "it as JSON"
            )
        return _unknown(
            expr, reason,
            "use JSON types or a pydantic model defined in your code; if it is a pydantic "
            "model, suppress this with `# noqa`",
        )

    def _is_pydantic_constraint(self, expr: TypeExpr) -> bool:
        """``conint(gt=0)`` and friends: pydantic's constrained types."""
        node = expr.node
        if not isinstance(node, cst.Call):
            return False
        callee = dotted_name(node.func)
        if callee is None:
            return False
        module = next(
            (m for m in self.namespace.modules.values() if m.display_path == expr.span.path),
            None,
        )
        qualified = module.qualify(callee) if module is not None else None
        return normalize(self.namespace.canonical(qualified)) in _PYDANTIC_CON


# ---------------------------------------------------------------------------
# Finding constructors and small readers
# ---------------------------------------------------------------------------


def _not_json(expr: TypeExpr, reason: str, fix: str) -> Finding:
    return Finding(Problem.NOT_JSON, expr, expr, reason, fix)


def _unknown(expr: TypeExpr, reason: str, fix: str) -> Finding:
    return Finding(Problem.UNKNOWN, expr, expr, reason, fix)


def _bad_key(key: TypeExpr, reason: str) -> Finding:
    return _not_json(
        key, f"JSON object keys are strings and {reason}",
        "use `str` keys (or `int`, a string enum, a `Literal` of strings)",
    )


def _none_key(key: TypeExpr) -> Finding:
    return _bad_key(key, "a `None` key is written as the string \"None\" and read back as "
                         "that string")


def _arity(expr: TypeExpr, head: str, wanted: str, example: str) -> Finding:
    name = head.rpartition(".")[2]
    return _not_json(expr, f"`{name}` takes {wanted}, not {len(expr.args)}",
                     f"write e.g. `{example}`")


def _untyped_container(expr: TypeExpr, name: str) -> Finding:
    short = name.rpartition(".")[2]
    example = "dict[str, int]" if name in MAPPING_HEADS else f"{short.lower()}[int]"
    if name in TUPLE_HEADS:
        example = "tuple[int, ...]"
    return Finding(
        Problem.UNTYPED, expr, expr,
        f"`{expr.text}` has no item types, so pydantic accepts anything and cannot check "
        "that the items can be sent as JSON",
        f"give the item types, e.g. `{example}`",
    )


def _iterator(expr: TypeExpr) -> Finding:
    return _not_json(
        expr, f"`{expr.text}` is a one-shot iterator, not a value pydantic can send as JSON",
        "use `list[...]`; to stream results, yield them from `run_remote` and annotate its "
        "return type as `AsyncIterator[...]`",
    )


def _bytes_in_model(expr: TypeExpr) -> Finding:
    return Finding(
        Problem.BYTES, expr, expr,
        "inside a pydantic model, `bytes` is written to JSON as UTF-8 text, which fails for "
        "binary data",
        "use `pydantic.Base64Bytes`, or set `model_config = pydantic.ConfigDict("
        "ser_json_bytes=\"base64\", val_json_bytes=\"base64\")` on the model",
    )


def _known_not_json(expr: TypeExpr, name: str) -> Finding | None:
    """Types known not to be JSON data, with the reason why."""
    if name in _ANY:
        return _not_json(
            expr, f"`{expr.text}` lets any value through unchecked, so a value that is not "
                  "JSON (an array, an object) fails only at run time",
            "annotate with a concrete type, e.g. `str`, `dict[str, float]` or a pydantic model",
        )
    if name == "pydantic.BaseModel":
        return _not_json(
            expr, "pydantic serialises a value by its declared type, and bare "
                  "`pydantic.BaseModel` declares no fields, so nothing is sent",
            "annotate with your concrete model class",
        )
    if name in _CALLABLES or name in _TYPE_OBJECTS:
        return _not_json(expr, f"`{expr.text}` is code or a type, not data that can be sent "
                               "as JSON", "send plain data and choose the behaviour from it")
    if name in _SECRETS:
        return _not_json(expr, f"pydantic writes `{expr.text}` to JSON as '**********', so the "
                               "value is lost", "send a plain `str` (or read secrets from "
                                                "the deployment context)")
    library = _DATA_LIBRARIES.get(_top_module(name))
    if library is not None:
        what, fix = library
        return _not_json(expr, f"pydantic cannot serialise {what} (`{name}`) to JSON",
                         f"{fix} or a base64-encoded `str`")
    if name.startswith("builtins."):
        return _not_json(expr, f"`{expr.text}` is not a data type pydantic can carry as JSON",
                         "use `str`, `int`, `float`, `bool`, a container or a pydantic model")
    return None


def _kind_of_base(head: str, name: str) -> ClassKind | None:
    if head == "typing_extensions.TypedDict":
        return ClassKind.TYPED_DICT
    if name == "typing.TypedDict":
        return ClassKind.TYPING_TYPED_DICT
    for bases, kind in _KIND_FROM_BASE:
        if name in bases:
            return kind
    return None


def _callee(module: ModuleInfo, node: cst.Call) -> str | None:
    callee = dotted_name(node.func)
    return normalize(module.qualify(callee)) if callee else None


def _is_new_type_call(module: ModuleInfo, node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Call) and _callee(module, node) == "typing.NewType"


def _read_alias(module: ModuleInfo, node: cst.BaseExpression) -> TypeExpr | _TypeVar | None:
    if isinstance(node, cst.Call):
        name = _callee(module, node)
        if name == "typing.TypeVar":
            return _TYPE_VAR
        if name == "typing.NewType" and len(node.args) >= 2:
            return read_type(module, node.args[1].value)
        return None
    if isinstance(node, (cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString)):
        return None  # a constant value, not a type
    if isinstance(node, (cst.List, cst.Tuple, cst.Dict, cst.Set, cst.Lambda)):
        return None
    return read_type(module, node)


def _excluded_field(namespace: Namespace, default: StaticValue | None) -> bool:
    """A pydantic field declared with ``Field(exclude=True)`` is never sent."""
    call = default.call if default is not None else None
    if call is None or normalize(namespace.canonical(call.callee)) != "pydantic.Field":
        return False
    exclude = call.kwarg("exclude")
    return exclude is not None and exclude.literal is True


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


def _enum_values_are_strings(cls: ClassInfo) -> bool:
    values = [
        value
        for name, value in cls.attributes.items()
        if not (name.startswith("_") and name.endswith("_"))
    ]
    return bool(values) and all(isinstance(v.literal, str) for v in values)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    kept: list[Finding] = []
    for finding in findings:
        key = (
            finding.problem,
            finding.expr.span,
            finding.culprit.span,
            finding.reason,
            tuple(s.label for s in finding.via),
        )
        if key not in seen:
            seen.add(key)
            kept.append(finding)
    return kept
