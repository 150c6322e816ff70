"""The JSON-safety classifier, on annotations read from real files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from chains_lint.analysis import analyse
from chains_lint.model.types import TypeExpr
from chains_lint.rules.json_safety import (
    Classification,
    ClassKind,
    JsonSafety,
    Problem,
    Verdict,
)
from tests.lint_helpers import write_files

PRELUDE = """
import collections
import collections.abc
import dataclasses
import datetime
import decimal
import enum
import pathlib
import typing
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Dict, List, Literal, Optional, Tuple, Union

import numpy as np
import pandas as pd
import pydantic
import torch
import transformers
from PIL import Image

import truss_chains as chains
"""


def _classify_with(
    tmp_path: Path, annotation: str, definitions: str = "", extra: Mapping[str, str] | None = None
) -> tuple[Classification, TypeExpr]:
    source = f"{PRELUDE}\n{definitions}\n\ndef probe(value: {annotation}) -> None:\n    pass\n"
    files = {"chain.py": source, **dict(extra or {})}
    main = write_files(tmp_path, files)
    target = analyse([main]).targets[0]
    annotation_expr = target.module.functions["probe"].params[0].annotation
    assert annotation_expr is not None
    safety = JsonSafety(target.model.namespace)
    return safety.classify(annotation_expr), annotation_expr


def classify(
    tmp_path: Path, annotation: str, definitions: str = "", extra: Mapping[str, str] | None = None
) -> Classification:
    return _classify_with(tmp_path, annotation, definitions, extra)[0]


def problems(classification: Classification) -> list[Problem]:
    return [f.problem for f in classification.findings]


# ---------------------------------------------------------------------------
# Safe types
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "annotation",
    [
        "str",
        "int",
        "float",
        "bool",
        "complex",
        "None",
        "bytes",
        "list[int]",
        "list[bytes]",
        "dict[str, float]",
        "dict[int, str]",
        "dict[uuid.UUID, str]",
        "dict[complex, int]",
        "tuple[int, str]",
        "tuple[int, ...]",
        "tuple[()]",
        "set[int]",
        "frozenset[str]",
        "Optional[int]",
        "int | None",
        "Union[int, str, None]",
        "Literal['a', 'b', 1]",
        "Annotated[int, 'meta']",
        "datetime.datetime",
        "datetime.timedelta",
        "uuid.UUID",
        "decimal.Decimal",
        "pathlib.Path",
        "pydantic.HttpUrl",
        "pydantic.Base64Bytes",
        "pydantic.conint(gt=0)",
        "Sequence[int]",
        "Mapping[str, int]",
        "collections.deque[int]",
        "collections.OrderedDict[str, int]",
        "typing.List[typing.Dict[str, typing.Tuple[int, ...]]]",
        "list[dict[str, list[tuple[int, Optional[str]]]]]",
        "'list[int]'",
        "Optional['int']",
    ],
)
def test_safe_types(tmp_path: Path, annotation: str) -> None:
    result = classify(tmp_path, annotation)
    assert result.findings == (), [f.reason for f in result.findings]
    assert result.verdict is Verdict.SAFE and result.is_safe


def test_aliased_typing_imports_are_resolved(tmp_path: Path) -> None:
    definitions = (
        "import typing as t\n"
        "import typing_extensions as te\n"
        "from typing import Optional as Opt, List as L\n"
    )
    annotation = "Opt[t.Union[L[int], te.Literal['x'], t.Dict[str, t.Any]]]"
    result = classify(tmp_path, annotation, definitions)
    # Only the `Any` is a problem: every alias of `typing` is recognised.
    assert [f.expr.text for f in result.findings] == ["t.Any"]


def test_collections_abc_imports(tmp_path: Path) -> None:
    definitions = "from collections.abc import MutableSequence, Set as AbstractSet\n"
    assert classify(tmp_path, "MutableSequence[AbstractSet[int]]", definitions).is_safe


def test_enum_and_model_at_top_level_are_safe(tmp_path: Path) -> None:
    definitions = """
class Mode(str, enum.Enum):
    FAST = "fast"


class Request(pydantic.BaseModel):
    mode: Mode
    tags: list[str] = []
    note: Optional[str] = None
"""
    assert classify(tmp_path, "list[Request]", definitions).is_safe


# ---------------------------------------------------------------------------
# Unsafe types, each with its reason
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "reason_part"),
    [
        ("Any", "lets any value through unchecked"),
        ("object", "lets any value through unchecked"),
        ("typing.Any", "lets any value through unchecked"),
        ("pydantic.BaseModel", "declares no fields"),
        ("Callable[[int], str]", "code or a type"),
        ("type[int]", "code or a type"),
        ("np.ndarray", "numpy arrays"),
        ("torch.Tensor", "torch tensors"),
        ("pd.DataFrame", "pandas objects"),
        ("Image.Image", "PIL images"),
        ("pydantic.SecretStr", "'**********'"),
        ("Iterator[int]", "one-shot iterator"),
        ("range", "not a data type"),
        ("bytearray", "not a data type"),
        ("chains.DeploymentContext", "object of the chain SDK"),
        ("chains.WebSocketProtocol", "a websocket is a connection"),
    ],
)
def test_unsafe_types_say_why(tmp_path: Path, annotation: str, reason_part: str) -> None:
    result = classify(tmp_path, annotation)
    assert result.verdict is Verdict.UNSAFE
    assert problems(result) == [Problem.NOT_JSON]
    assert reason_part in result.findings[0].reason
    assert result.findings[0].fix


def test_websocket_is_allowed_where_the_caller_says_so(tmp_path: Path) -> None:
    source = f"{PRELUDE}\ndef probe(ws: chains.WebSocketProtocol) -> None: ...\n"
    main = write_files(tmp_path, source)
    target = analyse([main]).targets[0]
    annotation = target.module.functions["probe"].params[0].annotation
    assert annotation is not None
    safety = JsonSafety(target.model.namespace)
    assert safety.classify(annotation, allow_websocket=True).is_safe
    assert not safety.classify(annotation).is_safe


def test_plain_class_is_unsafe(tmp_path: Path) -> None:
    definitions = """
class Point:
    def __init__(self, x: float) -> None:
        self.x = x
"""
    result = classify(tmp_path, "Point", definitions)
    assert problems(result) == [Problem.NOT_JSON]
    assert "`Point` is a plain class" in result.findings[0].reason
    assert "pydantic.BaseModel" in result.findings[0].fix


def test_chainlet_used_as_a_type_is_a_plain_class(tmp_path: Path) -> None:
    definitions = """
class Worker(chains.ChainletBase):
    async def run_remote(self) -> str:
        return ""
"""
    assert "plain class" in classify(tmp_path, "Worker", definitions).findings[0].reason


def test_pydantic_v1_model_is_unsafe(tmp_path: Path) -> None:
    definitions = "from pydantic import v1\n\n\nclass Old(v1.BaseModel):\n    x: int\n"
    result = classify(tmp_path, "Old", definitions)
    assert problems(result) == [Problem.NOT_JSON]
    assert "pydantic v1 model" in result.findings[0].reason


def test_typing_typed_dict_is_unsafe_but_typing_extensions_is_fine(tmp_path: Path) -> None:
    definitions = """
import typing_extensions


class Old(typing.TypedDict):
    x: int


class New(typing_extensions.TypedDict):
    x: int
"""
    old = classify(tmp_path / "a", "Old", definitions)
    assert "typing.TypedDict" in old.findings[0].reason
    assert classify(tmp_path / "b", "New", definitions).is_safe


# ---------------------------------------------------------------------------
# Dict keys
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("annotation", "reason_part"),
    [
        ("dict[tuple[int, int], str]", "cannot read a JSON object key back as `tuple[int, int]`"),
        ("dict[Optional[str], int]", "a `None` key"),
        ("dict[Literal[1, 2], str]", "the literal key 1"),
        ("dict[Numbers, str]", "enum `Numbers` are not all strings"),
        ("dict[Point, str]", "plain class"),
    ],
)
def test_bad_dict_keys(tmp_path: Path, annotation: str, reason_part: str) -> None:
    definitions = """
class Numbers(enum.Enum):
    ONE = 1


class Point:
    pass
"""
    result = classify(tmp_path, annotation, definitions)
    assert result.verdict is Verdict.UNSAFE
    assert any(reason_part in f.reason for f in result.findings), result.findings


@pytest.mark.parametrize(
    "key", ["Color", "Mixed", "Counted", "Literal['a', 'b']", "KeyAlias", "datetime.date"]
)
def test_good_dict_keys(tmp_path: Path, key: str) -> None:
    definitions = """
class Color(enum.Enum):
    RED = "red"


class Mixed(str, enum.Enum):
    A = enum.auto()


class Counted(enum.IntEnum):
    ONE = 1


KeyAlias = str
"""
    assert classify(tmp_path, f"dict[{key}, int]", definitions).is_safe


# ---------------------------------------------------------------------------
# Unknown and untyped
# ---------------------------------------------------------------------------


def test_third_party_class_is_unknown_and_named(tmp_path: Path) -> None:
    result = classify(tmp_path, "transformers.Pipeline")
    assert result.verdict is Verdict.UNKNOWN
    assert problems(result) == [Problem.UNKNOWN]
    assert "cannot see the definition of `transformers.Pipeline`" in result.findings[0].reason


def test_unresolved_name_is_unknown(tmp_path: Path) -> None:
    result = classify(tmp_path, "'Missing'")
    assert problems(result) == [Problem.UNKNOWN]
    assert "cannot resolve `Missing`" in result.findings[0].reason


def test_class_with_unknown_base_is_unknown(tmp_path: Path) -> None:
    definitions = "class Config(transformers.PretrainedConfig):\n    pass\n"
    result = classify(tmp_path, "Config", definitions)
    assert problems(result) == [Problem.UNKNOWN]
    assert "`transformers.PretrainedConfig`" in result.findings[0].reason


def test_type_variable_outside_a_model_is_unknown(tmp_path: Path) -> None:
    result = classify(tmp_path, "T", "T = typing.TypeVar('T')\n")
    assert problems(result) == [Problem.UNKNOWN]
    assert "type variable" in result.findings[0].reason


def test_unreadable_annotation_is_unknown_not_a_crash(tmp_path: Path) -> None:
    for index, annotation in enumerate(["1 + 2", "list[1:2]", "'not valid ('", "[int]"]):
        result = classify(tmp_path / str(index), annotation)
        assert result.verdict is Verdict.UNKNOWN, annotation


@pytest.mark.parametrize("annotation", ["list", "dict", "tuple", "List", "typing.Dict", "set"])
def test_containers_without_item_types_are_untyped(tmp_path: Path, annotation: str) -> None:
    result = classify(tmp_path, annotation)
    assert problems(result) == [Problem.UNTYPED]
    assert result.verdict is Verdict.UNKNOWN
    assert "has no item types" in result.findings[0].reason


def test_verdict_prefers_unsafe_over_unknown(tmp_path: Path) -> None:
    result = classify(tmp_path, "tuple[transformers.Pipeline, Any, list]")
    assert set(problems(result)) == {Problem.UNKNOWN, Problem.NOT_JSON, Problem.UNTYPED}
    assert result.verdict is Verdict.UNSAFE


# ---------------------------------------------------------------------------
# Precise locations
# ---------------------------------------------------------------------------


def test_finding_points_at_the_innermost_culprit(tmp_path: Path) -> None:
    result, annotation = _classify_with(tmp_path, "dict[str, list[np.ndarray]]")
    (finding,) = result.findings
    assert finding.expr.text == "np.ndarray"
    start = annotation.span.column + len("dict[str, list[")
    assert (finding.expr.span.line, finding.expr.span.column) == (annotation.span.line, start)
    assert finding.culprit is finding.expr and finding.via == ()


def test_each_bad_member_of_a_union_is_reported(tmp_path: Path) -> None:
    result = classify(tmp_path, "Union[np.ndarray, str, torch.Tensor]")
    assert [f.expr.text for f in result.findings] == ["np.ndarray", "torch.Tensor"]


# ---------------------------------------------------------------------------
# Models, fields and the paths to a problem
# ---------------------------------------------------------------------------

MODELS = """
class Meta(pydantic.BaseModel):
    embedding: np.ndarray
    label: str


class Query(pydantic.BaseModel):
    meta: Meta
    text: str
"""


def test_problem_inside_nested_model_lists_the_fields(tmp_path: Path) -> None:
    result = classify(tmp_path, "Optional[Query]", MODELS)
    (finding,) = result.findings
    assert finding.expr.text == "Query"
    assert finding.culprit.text == "np.ndarray"
    assert [step.label for step in finding.via] == ["`Query.meta`", "`Meta.embedding`"]
    assert finding.via[1].span.line < finding.via[0].span.line  # Meta is defined first


def test_fields_that_do_not_travel_are_skipped(tmp_path: Path) -> None:
    definitions = """
class Model(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
    _cache: Any = None
    registry: typing.ClassVar[dict[str, Any]] = {}
    handle: np.ndarray = pydantic.Field(default=None, exclude=True)
    name: str
"""
    assert classify(tmp_path, "Model", definitions).is_safe


def test_inherited_fields_are_checked_and_can_be_redefined(tmp_path: Path) -> None:
    definitions = """
class Base(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
    data: np.ndarray
    extra: Any


class Fixed(Base):
    data: list[float]


class Mixin:
    handle: Any


class WithMixin(Mixin, pydantic.BaseModel):
    name: str
"""
    result = classify(tmp_path / "a", "Fixed", definitions)
    assert [step.label for f in result.findings for step in f.via] == ["`Base.extra`"]
    # Annotations of a plain mixin are not pydantic fields.
    assert classify(tmp_path / "b", "WithMixin", definitions).is_safe


def test_self_referencing_models_terminate(tmp_path: Path) -> None:
    definitions = """
class Node(pydantic.BaseModel):
    children: list["Node"] = []
    name: str


class Ping(pydantic.BaseModel):
    pong: Optional["Pong"] = None


class Pong(pydantic.BaseModel):
    ping: Optional[Ping] = None
    bad: Any = None
"""
    assert classify(tmp_path / "a", "Node", definitions).is_safe
    result = classify(tmp_path / "b", "Ping", definitions)
    assert [[s.label for s in f.via] for f in result.findings] == [["`Ping.pong`", "`Pong.bad`"]]
    # The cycle does not hide the problem when the other model is used first.
    result = classify(tmp_path / "c", "tuple[Pong, Ping]", definitions)
    assert {f.culprit.text for f in result.findings} == {"Any"}


def test_many_models_sharing_a_model_stay_fast(tmp_path: Path) -> None:
    layers = ["class L0(pydantic.BaseModel):\n    x: int\n"]
    for index in range(1, 40):
        fields = "".join(f"    f{j}: L{index - 1}\n" for j in range(4))
        layers.append(f"class L{index}(pydantic.BaseModel):\n{fields}")
    assert classify(tmp_path, "L39", "\n\n".join(layers)).is_safe


def test_model_from_another_file_and_package_reexport(tmp_path: Path) -> None:
    extra = {
        "models/__init__.py": "from models.query import Query\n",
        "models/query.py": (
            "import pydantic\nfrom models.meta import Meta\n\n\n"
            "class Query(pydantic.BaseModel):\n    meta: Meta\n"
        ),
        "models/meta.py": (
            "import pydantic\n\n\nclass Meta(pydantic.BaseModel):\n    tags: set[object]\n"
        ),
    }
    result = classify(tmp_path, "models.Query", "import models\n", extra)
    (finding,) = result.findings
    assert finding.culprit.text == "object"
    assert finding.via[-1].span.path.endswith("meta.py")


def test_generic_model_checks_its_arguments(tmp_path: Path) -> None:
    definitions = """
T = typing.TypeVar("T")


class Page(pydantic.BaseModel, typing.Generic[T]):
    items: list[T]
    total: int
"""
    assert classify(tmp_path / "a", "Page[str]", definitions).is_safe
    result = classify(tmp_path / "b", "Page[np.ndarray]", definitions)
    assert [f.expr.text for f in result.findings] == ["np.ndarray"]


def test_root_model_is_a_model(tmp_path: Path) -> None:
    definitions = "class Tags(pydantic.RootModel[list[str]]):\n    pass\n"
    assert classify(tmp_path, "Tags", definitions).is_safe


def test_dataclass_named_tuple_and_typed_dict_fields_are_checked(tmp_path: Path) -> None:
    definitions = """
import typing_extensions


@dataclasses.dataclass
class Box:
    width: float
    handle: Any


class Pair(typing.NamedTuple):
    left: int
    right: np.ndarray


class Movie(typing_extensions.TypedDict):
    title: str
    poster: Image.Image
"""
    for index, (name, culprit) in enumerate(
        [("Box", "Any"), ("Pair", "np.ndarray"), ("Movie", "Image.Image")]
    ):
        result = classify(tmp_path / str(index), name, definitions)
        assert [f.culprit.text for f in result.findings] == [culprit], name


def test_custom_pydantic_type_is_trusted(tmp_path: Path) -> None:
    definitions = """
class Color:
    @classmethod
    def __get_pydantic_core_schema__(cls, source, handler):
        raise NotImplementedError
"""
    assert classify(tmp_path, "Color", definitions).is_safe


# ---------------------------------------------------------------------------
# bytes
# ---------------------------------------------------------------------------


def test_bytes_inside_a_model_is_a_problem_unless_base64(tmp_path: Path) -> None:
    definitions = """
@dataclasses.dataclass
class Chunk:
    data: bytes


class Plain(pydantic.BaseModel):
    data: bytes


class Encoded(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")
    data: bytes
    chunk: Chunk
    inner: Plain


class EncodedChild(Encoded):
    more: list[bytes]
"""
    plain = classify(tmp_path / "a", "Plain", definitions)
    assert problems(plain) == [Problem.BYTES]
    assert plain.verdict is Verdict.UNSAFE
    # The config covers its own fields and dataclasses, not another model.
    encoded = classify(tmp_path / "b", "Encoded", definitions)
    assert [[s.label for s in f.via] for f in encoded.findings] == [
        ["`Encoded.inner`", "`Plain.data`"]
    ]
    assert problems(classify(tmp_path / "c", "EncodedChild", definitions)) == [Problem.BYTES]
    # A dataclass directly in the signature uses the generated model's base64 config.
    assert classify(tmp_path / "d", "Chunk", definitions).is_safe


# ---------------------------------------------------------------------------
# Classes that are not at module top level
# ---------------------------------------------------------------------------


def test_model_nested_in_a_class_is_local(tmp_path: Path) -> None:
    definitions = """
class Outer:
    class Inner(pydantic.BaseModel):
        x: Any
"""
    result = classify(tmp_path, "Outer.Inner", definitions)
    assert problems(result) == [Problem.LOCAL_CLASS, Problem.NOT_JSON]
    local = result.findings[0]
    assert "pydantic model `Inner` is defined inside `Outer`" in local.reason
    assert local.fix == "move `Inner` to module top level"


def test_enum_defined_in_a_function_is_found_by_name(tmp_path: Path) -> None:
    definitions = """
def build():
    class Level(enum.Enum):
        LOW = "low"
    return Level
"""
    result = classify(tmp_path, "'Level'", definitions)
    assert problems(result) == [Problem.LOCAL_CLASS]
    assert "the enum `Level` is defined inside `build`" in result.findings[0].reason


# ---------------------------------------------------------------------------
# Aliases
# ---------------------------------------------------------------------------


def test_alias_is_followed_and_named(tmp_path: Path) -> None:
    definitions = "Vector = list[np.ndarray]\nBatch = list[Vector]\n"
    result = classify(tmp_path, "Batch", definitions)
    (finding,) = result.findings
    assert finding.expr.text == "Batch"
    assert finding.culprit.text == "np.ndarray"
    assert [s.label for s in finding.via] == ["alias `Batch`", "alias `Vector`"]


def test_new_type_uses_its_underlying_type(tmp_path: Path) -> None:
    definitions = "UserId = typing.NewType('UserId', int)\nBlob = typing.NewType('Blob', Any)\n"
    assert classify(tmp_path / "a", "UserId", definitions).is_safe
    assert problems(classify(tmp_path / "b", "Blob", definitions)) == [Problem.NOT_JSON]


def test_self_referencing_alias_terminates(tmp_path: Path) -> None:
    definitions = "Json = Union[dict[str, 'Json'], list['Json'], str, int, None]\n"
    assert classify(tmp_path, "Json", definitions).is_safe


def test_deeply_nested_annotation_does_not_crash(tmp_path: Path) -> None:
    annotation = "list[" * 60 + "int" + "]" * 60
    result = classify(tmp_path, annotation)
    assert result.verdict in (Verdict.SAFE, Verdict.UNKNOWN)


# ---------------------------------------------------------------------------
# The helpers the truss rules use
# ---------------------------------------------------------------------------


def test_facts_describe_class_kinds(tmp_path: Path) -> None:
    source = f"""{PRELUDE}
class Mode(str, enum.Enum):
    A = "a"


class Base(pydantic.BaseModel):
    x: int


class Child(Base):
    pass


@dataclasses.dataclass
class Data:
    x: int


class Plain:
    pass
"""
    target = analyse([write_files(tmp_path, source)]).targets[0]
    safety = JsonSafety(target.model.namespace)
    kinds = {name: safety.facts(cls).kind for name, cls in target.module.classes.items()}
    assert kinds == {
        "Mode": ClassKind.ENUM,
        "Base": ClassKind.MODEL,
        "Child": ClassKind.MODEL,
        "Data": ClassKind.DATACLASS,
        "Plain": ClassKind.PLAIN,
    }
    assert safety.facts(target.module.classes["Mode"]).str_or_int_enum
