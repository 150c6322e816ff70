"""Qualified names of the types the JSON-safety classifier knows, one spelling each."""

from __future__ import annotations


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


def names_in(module: str, *names: str) -> frozenset[str]:
    return frozenset(f"{module}.{name}" for name in names)


SCALARS = names_in("builtins", "str", "int", "float", "bool", "complex")
BYTES = frozenset({"builtins.bytes", "pydantic.StrictBytes"})
SAFE_STDLIB = (
    names_in("datetime", "datetime", "date", "time", "timedelta")
    | names_in("uuid", "UUID")
    | names_in("decimal", "Decimal")
    | names_in("pathlib", "Path", "PurePath", "PosixPath", "PurePosixPath", "WindowsPath")
    | names_in("pathlib", "PureWindowsPath")
    | names_in(
        "ipaddress",
        "IPv4Address",
        "IPv6Address",
        "IPv4Network",
        "IPv6Network",
        "IPv4Interface",
        "IPv6Interface",
    )
    | names_in("re", "Pattern")
    | names_in("typing", "Pattern")
)
SAFE_PYDANTIC = names_in(
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
    names_in("builtins", "str", "int", "float", "bool", "complex")
    | names_in("datetime", "datetime", "date", "time")
    | names_in("uuid", "UUID")
    | names_in("decimal", "Decimal")
    | names_in("pydantic", "StrictStr", "StrictInt", "UUID1", "UUID3", "UUID4", "UUID5")
)

ABC_MODULE = "collections.abc"
SEQUENCE_HEADS = (
    names_in("builtins", "list", "set", "frozenset")
    | names_in("typing", "List", "Set", "FrozenSet", "Sequence", "MutableSequence")
    | names_in("typing", "AbstractSet", "MutableSet", "Deque")
    | names_in(ABC_MODULE, "Sequence", "MutableSequence", "Set", "MutableSet")
    | names_in("collections", "deque")
)
MAPPING_HEADS = (
    names_in("builtins", "dict")
    | names_in("typing", "Dict", "Mapping", "MutableMapping", "OrderedDict", "DefaultDict")
    | names_in(ABC_MODULE, "Mapping", "MutableMapping")
    | names_in("collections", "OrderedDict", "defaultdict")
)
TUPLE_HEADS = frozenset({"builtins.tuple", "typing.Tuple"})
CONTAINER_HEADS = SEQUENCE_HEADS | MAPPING_HEADS | TUPLE_HEADS
UNION_HEADS = frozenset({"typing.Union", "typing.Optional"})
LITERAL = "typing.Literal"
ANNOTATED = "typing.Annotated"
# Wrappers whose first argument is the type that travels.
WRAPPERS = names_in("typing", "Final", "Required", "NotRequired", "ReadOnly", "ClassVar") | {
    "pydantic.Json"
}
STREAM_HEADS = (
    names_in("typing", "AsyncIterator", "Iterator", "AsyncGenerator", "Generator")
    | names_in("typing", "AsyncIterable", "Iterable")
    | names_in(ABC_MODULE, "AsyncIterator", "Iterator", "AsyncGenerator", "Generator")
    | names_in(ABC_MODULE, "AsyncIterable", "Iterable")
)
# pydantic's constrained types, called in annotations: ``conint(gt=0)``.
PYDANTIC_CONSTRAINED = names_in(
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
# The SDK's websocket marker (an SDK symbol name, not a qualified name).
WEBSOCKET_PROTOCOL = "WebSocketProtocol"
# SDK types made to travel (SDK symbol names): ``pydantic_numpy.NumpyArrayField`` has a
# pydantic schema for numpy arrays, ``EngineBuilderLLMInput`` is a pydantic model.
SDK_DATA_TYPES = frozenset({"NumpyArrayField", "EngineBuilderLLMInput"})
# SDK enum bases (SDK symbol names): ``truss_chains.utils.StrEnum`` is ``(str, enum.Enum)``.
SDK_STR_ENUMS = frozenset({"StrEnum"})


def top_module(name: str) -> str:
    return name.partition(".")[0]
