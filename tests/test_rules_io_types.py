"""The I/O type rules (CH201-CH259), linted for real from files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.linter import lint_files
from chains_lint.rules.base import PROFILES, Profile
from tests.lint_helpers import codes, lint_text, write_files

IMPORTS = """\
import dataclasses
import enum
import typing
from collections.abc import AsyncIterator
from typing import Any, Optional

import numpy as np
import pydantic

import truss_chains as chains
"""


def chain(signature: str, body: str = "raise NotImplementedError", definitions: str = "") -> str:
    """A file with one chainlet whose ``run_remote`` has ``signature`` (after ``self, ``)."""
    return (
        f"{IMPORTS}\n{definitions}\n\n"
        "class Worker(chains.ChainletBase):\n"
        f"    async def run_remote(self, {signature}:\n"
        f"        {body}\n"
    )


def found(
    tmp_path: Path, files: str | Mapping[str, str], *, profile: Profile = "default"
) -> list[Diagnostic]:
    """Diagnostics of this rule group only."""
    return lint_text(tmp_path, files, profile=profile, select=("CH2",))


def line_of(source: str, needle: str) -> int:
    return next(i for i, line in enumerate(source.splitlines(), 1) if needle in line)


def column_of(source: str, needle: str, occurrence: str | None = None) -> int:
    line = source.splitlines()[line_of(source, occurrence or needle) - 1]
    return line.index(needle) + 1


# ---------------------------------------------------------------------------
# CH201 io-type-not-json
# ---------------------------------------------------------------------------


def test_not_json_parameter_is_reported_at_the_precise_part(tmp_path: Path) -> None:
    source = chain("scores: dict[str, list[np.ndarray]]) -> int")
    (diagnostic,) = found(tmp_path, source)
    assert diagnostic.code == "CH201"
    assert diagnostic.severity is Severity.ERROR
    assert (diagnostic.span.line, diagnostic.span.column) == (
        line_of(source, "scores"),
        column_of(source, "np.ndarray"),
    )
    assert diagnostic.message.startswith(
        "`run_remote` parameter `scores` has type `dict[str, list[np.ndarray]]`, "
        "which uses `np.ndarray`: pydantic cannot serialise numpy arrays"
    )
    assert "`list[float]`" in diagnostic.message
    assert not diagnostic.message.endswith(".")


def test_return_and_stream_item_types_are_checked(tmp_path: Path) -> None:
    returns = chain("x: int) -> Any")
    (diagnostic,) = found(tmp_path / "a", returns)
    assert diagnostic.message.startswith("`run_remote` returns `Any`:")
    stream = chain("x: int) -> AsyncIterator[object]", body="yield object()")
    (diagnostic,) = found(tmp_path / "b", stream)
    assert diagnostic.message.startswith("`run_remote` streams items of type `object`:")
    assert diagnostic.span.column == column_of(stream, "object]")


def test_async_generator_item_type_is_checked(tmp_path: Path) -> None:
    source = chain(
        "x: int) -> typing.AsyncGenerator[np.ndarray, None]", body="yield np.zeros(1)"
    )
    assert codes(found(tmp_path, source)) == ["CH201"]


def test_problem_inside_model_in_another_file(tmp_path: Path) -> None:
    files = {
        "chain.py": chain("query: Query) -> str", definitions="from models import Query"),
        "models.py": (
            "import numpy as np\nimport pydantic\n\n\n"
            "class Query(pydantic.BaseModel):\n"
            "    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)\n"
            "    text: str\n"
            "    embedding: np.ndarray\n"
        ),
    }
    (diagnostic,) = found(tmp_path, files)
    assert diagnostic.span.path.endswith("chain.py")
    assert "(through `Query.embedding`: `np.ndarray`)" in diagnostic.message
    field, culprit = diagnostic.related
    assert field.path.endswith("models.py") and field.line == 8
    assert culprit.line == 8 and culprit.column == len("    embedding: ") + 1


@pytest.mark.parametrize(
    ("imports", "annotation"),
    [
        ("from truss_chains import pydantic_numpy", "pydantic_numpy.NumpyArrayField"),
        ("from truss_chains.pydantic_numpy import NumpyArrayField", "NumpyArrayField"),
        ("", "chains.EngineBuilderLLMInput"),
    ],
)
def test_sdk_types_made_to_travel_are_json(tmp_path: Path, imports: str, annotation: str) -> None:
    definitions = f"{imports}\n\n\nclass Frame(pydantic.BaseModel):\n    pixels: {annotation}\n"
    source = chain("frame: Frame) -> Frame", definitions=definitions)
    assert found(tmp_path, source) == []


def test_other_sdk_objects_are_still_not_json(tmp_path: Path) -> None:
    source = chain("context: chains.DeploymentContext) -> str")
    (diagnostic,) = found(tmp_path, source)
    assert "is an object of the chain SDK" in diagnostic.message


@pytest.mark.parametrize(
    "imports", ["from truss_chains import utils", "from truss_chains.utils import StrEnum"]
)
def test_sdk_str_enum_subclass_is_an_enum(tmp_path: Path, imports: str) -> None:
    base = "utils.StrEnum" if imports.endswith("utils") else "StrEnum"
    definitions = (
        f"{imports}\n\n\nclass Status({base}):\n    QUEUED = enum.auto()\n"
        "    DONE = enum.auto()\n\n\n"
        "class Job(pydantic.BaseModel):\n    status: Optional[Status] = None\n"
        "    by_status: dict[Status, int] = {}\n"
    )
    source = chain("job: Job) -> Job", definitions=definitions)
    assert found(tmp_path, source) == []


def test_plain_class_and_set_of_plain_class(tmp_path: Path) -> None:
    definitions = "class Point:\n    x: float\n"
    source = chain("point: Point, points: set[Point]) -> float", definitions=definitions)
    diagnostics = found(tmp_path, source)
    assert codes(diagnostics) == ["CH201", "CH201"]
    assert all("`Point` is a plain class" in d.message for d in diagnostics)


def test_bad_dict_key_is_reported_at_the_key(tmp_path: Path) -> None:
    source = chain("pairs: dict[tuple[int, int], float]) -> int")
    (diagnostic,) = found(tmp_path, source)
    assert diagnostic.span.column == column_of(source, "tuple[int, int]")
    assert "JSON object keys are strings" in diagnostic.message


def test_websocket_parameter_is_not_json_only_elsewhere(tmp_path: Path) -> None:
    ok = chain("ws: chains.WebSocketProtocol) -> None")
    assert found(tmp_path / "a", ok) == []
    bad = chain("x: int) -> chains.WebSocketProtocol")
    assert codes(found(tmp_path / "b", bad)) == ["CH201"]


def test_self_unannotated_and_variadic_params_are_left_to_other_rules(tmp_path: Path) -> None:
    source = chain("untyped, *args: Any, **kwargs: Any) -> str")
    assert found(tmp_path, source) == []


def test_json_safe_signature_is_clean_in_both_profiles(tmp_path: Path) -> None:
    definitions = """
class Mode(str, enum.Enum):
    FAST = "fast"


class Request(pydantic.BaseModel):
    mode: Mode
    tags: list[str]
    weights: dict[str, float] = {}
    note: Optional[str] = None
"""
    source = chain(
        "request: Request, limit: int = 10, raw: bytes = b'') -> dict[str, Request]",
        definitions=definitions,
    )
    for profile in PROFILES:
        assert lint_text(tmp_path / profile, source, profile=profile) == []


def test_noqa_suppresses(tmp_path: Path) -> None:
    source = chain("x: Any) -> int  # noqa: CH201")
    assert found(tmp_path, source) == []


def test_run_remote_inherited_from_unlinted_file_is_reported_at_subclass(tmp_path: Path) -> None:
    files = {
        "chain.py": (
            "import truss_chains as chains\nfrom base import Base\n\n\n"
            "class Child(Base):\n    pass\n"
        ),
        "base.py": (
            "from typing import Any\n\nimport truss_chains as chains\n\n\n"
            "class Base(chains.ChainletBase):\n"
            "    async def run_remote(self, payload: Any) -> str:\n"
            "        return ''\n"
        ),
    }
    (diagnostic,) = found(tmp_path, files)
    assert diagnostic.span.path.endswith("chain.py")
    assert (diagnostic.span.line, diagnostic.span.column) == (5, 7)
    assert diagnostic.message.startswith("`Child` inherits `run_remote` from `Base` (")
    assert diagnostic.related[0].path.endswith("base.py")


def test_run_remote_inherited_in_the_same_file_is_reported_once(tmp_path: Path) -> None:
    source = (
        IMPORTS
        + "\n\nclass Base(chains.ChainletBase):\n"
        + "    async def run_remote(self, payload: Any) -> str:\n"
        + "        return ''\n\n\n"
        + "@chains.mark_entrypoint\nclass Child(Base):\n    pass\n"
    )
    diagnostics = found(tmp_path, source)
    assert codes(diagnostics) == ["CH201"]
    assert diagnostics[0].span.line == line_of(source, "payload: Any")


# ---------------------------------------------------------------------------
# CH202 io-type-unverifiable
# ---------------------------------------------------------------------------


def test_third_party_type_is_a_warning_naming_it(tmp_path: Path) -> None:
    source = chain(
        "config: transformers.GenerationConfig) -> str", definitions="import transformers"
    )
    (diagnostic,) = found(tmp_path, source)
    assert diagnostic.code == "CH202"
    assert diagnostic.severity is Severity.WARNING
    assert "cannot see the definition of `transformers.GenerationConfig`" in diagnostic.message


def test_local_module_type_is_checked_not_unverifiable(tmp_path: Path) -> None:
    files = {
        "chain.py": chain("item: helpers.Item) -> int", definitions="import helpers"),
        "helpers.py": "import pydantic\n\n\nclass Item(pydantic.BaseModel):\n    name: str\n",
    }
    assert found(tmp_path, files) == []


def test_unresolved_name_is_unverifiable(tmp_path: Path) -> None:
    source = chain("item: 'Missing') -> int")
    (diagnostic,) = found(tmp_path, source)
    assert diagnostic.code == "CH202"
    assert "cannot resolve `Missing`" in diagnostic.message


# ---------------------------------------------------------------------------
# CH203 io-bytes-in-model
# ---------------------------------------------------------------------------


def test_bytes_field_in_model_is_a_warning(tmp_path: Path) -> None:
    definitions = "class Upload(pydantic.BaseModel):\n    data: bytes\n"
    source = chain("upload: Upload, raw: bytes) -> list[bytes]", definitions=definitions)
    (diagnostic,) = found(tmp_path, source)
    assert diagnostic.code == "CH203"
    assert diagnostic.severity is Severity.WARNING
    assert "(through `Upload.data`: `bytes`)" in diagnostic.message
    assert "pydantic.Base64Bytes" in diagnostic.message


def test_bytes_field_with_base64_config_is_fine(tmp_path: Path) -> None:
    definitions = (
        "class Upload(pydantic.BaseModel):\n"
        "    model_config = {'ser_json_bytes': 'base64', 'val_json_bytes': 'base64'}\n"
        "    data: bytes\n"
    )
    assert found(tmp_path, chain("upload: Upload) -> int", definitions=definitions)) == []


# ---------------------------------------------------------------------------
# CH204 io-type-untyped
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("annotation", ["list", "dict", "typing.List", "tuple"])
def test_container_without_item_types(tmp_path: Path, annotation: str) -> None:
    (diagnostic,) = found(tmp_path, chain(f"items: {annotation}) -> int"))
    assert diagnostic.code == "CH204"
    assert diagnostic.severity is Severity.WARNING
    assert "has no item types" in diagnostic.message


def test_stream_without_item_type(tmp_path: Path) -> None:
    source = chain("x: int) -> AsyncIterator", body="yield 'a'")
    (diagnostic,) = found(tmp_path, source)
    assert diagnostic.code == "CH204"
    assert "e.g. `AsyncIterator[str]`" in diagnostic.message


# ---------------------------------------------------------------------------
# CH205 io-class-not-top-level
# ---------------------------------------------------------------------------


def test_model_nested_in_chainlet_class(tmp_path: Path) -> None:
    source = (
        IMPORTS
        + "\n\nclass Worker(chains.ChainletBase):\n"
        + "    class Request(pydantic.BaseModel):\n        text: str\n\n"
        + "    async def run_remote(self, request: 'Worker.Request') -> str:\n"
        + "        return request.text\n"
    )
    (diagnostic,) = found(tmp_path, source)
    assert diagnostic.code == "CH205"
    assert "the pydantic model `Request` is defined inside `Worker`" in diagnostic.message
    assert diagnostic.message.endswith("move `Request` to module top level")


def test_enum_nested_in_a_class(tmp_path: Path) -> None:
    definitions = "class Settings:\n    class Mode(enum.Enum):\n        A = 'a'\n"
    source = chain("mode: Settings.Mode) -> str", definitions=definitions)
    assert codes(found(tmp_path, source)) == ["CH205"]


# ---------------------------------------------------------------------------
# Truss profile
# ---------------------------------------------------------------------------


def truss_codes(tmp_path: Path, files: str | Mapping[str, str]) -> list[str]:
    return codes(found(tmp_path, files, profile="truss"))


def test_truss_rules_do_not_run_in_the_default_profile(tmp_path: Path) -> None:
    source = chain("x: Optional[int]) -> list[list[int]]")
    assert found(tmp_path, source) == []
    assert truss_codes(tmp_path / "t", source) == ["CH251", "CH252"]


def test_future_annotations_reported_once_at_run_remote(tmp_path: Path) -> None:
    source = "from __future__ import annotations\n\n" + chain("x: int, y: str) -> str")
    diagnostics = found(tmp_path, source, profile="truss")
    assert codes(diagnostics) == ["CH250"]
    assert diagnostics[0].span.line == line_of(source, "def run_remote")
    assert "`from __future__ import annotations`" in diagnostics[0].message


@pytest.mark.parametrize(
    "signature",
    ["x: 'int') -> int", "x: int) -> 'str'", "x: list['Item']) -> int"],
)
def test_string_annotations(tmp_path: Path, signature: str) -> None:
    definitions = "class Item(pydantic.BaseModel):\n    name: str\n"
    assert truss_codes(tmp_path, chain(signature, definitions=definitions)) == ["CH250"]


@pytest.mark.parametrize(
    "annotation",
    [
        "Optional[int]",
        "int | None",
        "typing.Union[int, str]",
        "typing.Optional[str]",
    ],
)
def test_unions(tmp_path: Path, annotation: str) -> None:
    (diagnostic,) = found(tmp_path, chain(f"x: {annotation} = None) -> int"), profile="truss")
    assert diagnostic.code == "CH251"
    assert "does not accept `Optional` or unions" in diagnostic.message


def test_optional_hint_names_the_inner_type(tmp_path: Path) -> None:
    (diagnostic,) = found(tmp_path, chain("x: Optional[int] = None) -> int"), profile="truss")
    assert "use `int` with a default value" in diagnostic.message


def test_union_in_tuple_return_and_alias(tmp_path: Path) -> None:
    source = chain(
        "x: MaybeInt) -> tuple[Optional[int], str]", definitions="MaybeInt = Optional[int]"
    )
    diagnostics = found(tmp_path, source, profile="truss")
    assert codes(diagnostics) == ["CH251", "CH251"]
    assert "(an alias of `Optional[int]`)" in diagnostics[0].message


@pytest.mark.parametrize(
    ("annotation", "item"),
    [
        ("list[list[int]]", "list[int]"),
        ("dict[str, list[int]]", "list[int]"),
        ("list[Optional[int]]", "Optional[int]"),
        ("list[int | None]", "int | None"),
        ("list[Mode]", "Mode"),
        ("dict[Mode, int]", "Mode"),
        ("list[typing.Literal['a']]", "typing.Literal['a']"),
        ("list[set[int]]", "set[int]"),
        ("list[Vector]", "Vector"),
    ],
)
def test_container_items(tmp_path: Path, annotation: str, item: str) -> None:
    definitions = "class Mode(str, enum.Enum):\n    A = 'a'\n\n\nVector = list[float]\n"
    source = chain(f"x: {annotation}) -> int", definitions=definitions)
    (diagnostic,) = found(tmp_path, source, profile="truss")
    assert diagnostic.code == "CH252"
    assert diagnostic.span.column == column_of(source, item, "def run_remote")
    assert f"not `{item}`" in diagnostic.message


@pytest.mark.parametrize(
    "annotation",
    ["list[int]", "dict[str, Item]", "list[None]", "dict[int, bytes]", "list[pydantic.BaseModel]"],
)
def test_container_items_truss_accepts(tmp_path: Path, annotation: str) -> None:
    definitions = "class Item(pydantic.BaseModel):\n    name: str\n"
    source = chain(f"x: {annotation}) -> int", definitions=definitions)
    assert [c for c in truss_codes(tmp_path, source) if c != "CH201"] == []


def test_typing_list_and_dict(tmp_path: Path) -> None:
    source = chain(
        "x: typing.List[int]) -> T.Dict[str, int]", definitions="import typing as T"
    )
    diagnostics = found(tmp_path, source, profile="truss")
    assert codes(diagnostics) == ["CH253", "CH253"]
    assert "accepts only the built-in `list`, not `typing.List`" in diagnostics[0].message
    assert "accepts only the built-in `dict`, not `typing.Dict`" in diagnostics[1].message


@pytest.mark.parametrize(
    "annotation",
    [
        "set[int]",
        "frozenset[str]",
        "typing.Sequence[int]",
        "collections.abc.Mapping[str, int]",
        "tuple[int, str]",
        "typing.Set[int]",
    ],
)
def test_unsupported_containers(tmp_path: Path, annotation: str) -> None:
    source = chain(f"x: {annotation}) -> int", definitions="import collections.abc")
    assert truss_codes(tmp_path, source) == ["CH254"]


def test_nested_tuple_in_tuple_return(tmp_path: Path) -> None:
    source = chain("x: int) -> tuple[tuple[int, int], str]")
    assert truss_codes(tmp_path, source) == ["CH254"]


def test_tuple_returns_truss_accepts(tmp_path: Path) -> None:
    for index, returns in enumerate(
        ["tuple[int, str]", "typing.Tuple[list[int], Item]", "tuple[()]", "typing.Tuple"]
    ):
        definitions = "class Item(pydantic.BaseModel):\n    name: str\n"
        source = chain(f"x: int) -> {returns}", definitions=definitions)
        assert [c for c in truss_codes(tmp_path / str(index), source) if c != "CH204"] == []


@pytest.mark.parametrize(("annotation", "written"), [("list", "list"), ("dict", "dict")])
def test_bare_containers(tmp_path: Path, annotation: str, written: str) -> None:
    source = chain(f"x: {annotation}) -> int")
    diagnostics = [d for d in found(tmp_path, source, profile="truss") if d.code == "CH255"]
    assert len(diagnostics) == 1
    assert f"needs the item types of `{written}`" in diagnostics[0].message


def test_bare_tuple_return(tmp_path: Path) -> None:
    assert "CH255" in truss_codes(tmp_path, chain("x: int) -> tuple"))


@pytest.mark.parametrize(
    "annotation",
    [
        "Mode",
        "typing.Literal['a', 'b']",
        "typing.Annotated[int, 'meta']",
        "Box",
        "datetime.datetime",
        "uuid.UUID",
        "pydantic.HttpUrl",
        "UserId",
    ],
)
def test_types_truss_accepts_only_inside_models(tmp_path: Path, annotation: str) -> None:
    definitions = """
import datetime
import uuid


class Mode(str, enum.Enum):
    A = "a"


@dataclasses.dataclass
class Box:
    size: int


UserId = typing.NewType("UserId", int)
"""
    source = chain(f"x: {annotation}) -> int", definitions=definitions)
    (diagnostic,) = found(tmp_path, source, profile="truss")
    assert diagnostic.code == "CH256"
    if annotation == "UserId":
        assert "the `NewType` `UserId` is none of these, so write its type `int`" in (
            diagnostic.message
        )
    elif annotation.startswith("typing.Annotated"):
        assert "does not accept `Annotated`; write `int` directly" in diagnostic.message
    else:
        assert f"`{annotation}` is allowed only as the type of a field of a pydantic model" in (
            diagnostic.message
        )


def test_variadic_tuple_return(tmp_path: Path) -> None:
    source = chain("x: int) -> tuple[str, ...]")
    (diagnostic,) = found(tmp_path, source, profile="truss")
    assert diagnostic.code == "CH257"
    assert diagnostic.span.column == column_of(source, "...]")


@pytest.mark.parametrize(
    "item", ["int", "Item", "Optional[str]", "list[str]", "Text | None", "UserId"]
)
def test_stream_items_other_than_str_or_bytes(tmp_path: Path, item: str) -> None:
    definitions = (
        "class Item(pydantic.BaseModel):\n    name: str\n\n\nText = str\n"
        "UserId = typing.NewType('UserId', str)\n"
    )
    source = chain(f"x: int) -> AsyncIterator[{item}]", body="yield x", definitions=definitions)
    (diagnostic,) = found(tmp_path, source, profile="truss")
    assert diagnostic.code == "CH258"
    assert "streams only `str` or `bytes` items" in diagnostic.message


@pytest.mark.parametrize(
    "returns", ["AsyncIterator[str]", "typing.AsyncIterator[bytes]", "AsyncIterator[Text]"]
)
def test_stream_items_truss_accepts(tmp_path: Path, returns: str) -> None:
    source = chain(f"x: int) -> {returns}", body="yield ''", definitions="Text = str")
    assert truss_codes(tmp_path, source) == []


@pytest.mark.parametrize("returns", ["typing.AsyncIterator", "collections.abc.AsyncIterator"])
def test_stream_without_item_type_in_truss(tmp_path: Path, returns: str) -> None:
    source = chain(f"x: int) -> {returns}", body="yield ''", definitions="import collections.abc")
    assert sorted(truss_codes(tmp_path, source)) == ["CH204", "CH258"]


def test_websocket_endpoint_shape(tmp_path: Path) -> None:
    source = chain("ws: chains.WebSocketProtocol, prefix: str) -> str")
    diagnostics = found(tmp_path, source, profile="truss")
    assert codes(diagnostics) == ["CH259", "CH259"]
    assert "remove `prefix`" in diagnostics[0].message
    assert "requires the return type `None`, not `str`" in diagnostics[1].message
    ok = chain("ws: chains.WebSocketProtocol) -> None")
    assert truss_codes(tmp_path / "ok", ok) == []


def test_every_truss_rejection_is_an_error(tmp_path: Path) -> None:
    source = chain("a: Optional[int], b: list[list[int]], c: set[int]) -> tuple[int, ...]")
    main = write_files(tmp_path, source)
    diagnostics = lint_files([main], Config(profile="truss", select=("CH25",))).diagnostics
    assert sorted(codes(diagnostics)) == ["CH251", "CH252", "CH254", "CH257"]
    assert all(d.severity is Severity.ERROR for d in diagnostics)


def test_truss_does_not_repeat_what_default_rules_say(tmp_path: Path) -> None:
    # `Any`, a plain class and an unknown class: truss rejects them too, but CH201/CH202
    # already explain it (and truss accepts an unknown class that is a pydantic model).
    source = chain(
        "a: Any, b: list[Point], c: transformers.Pipeline) -> int",
        definitions="import transformers\n\n\nclass Point:\n    x: int\n",
    )
    assert sorted(truss_codes(tmp_path, source)) == ["CH201", "CH201", "CH202"]


def test_weird_annotations_do_not_crash(tmp_path: Path) -> None:
    source = chain("a: 1 + 2, b: list[1:2], c: 'not valid (', d: lambda: int) -> [int]")
    for profile in PROFILES:
        lint_text(tmp_path / profile, source, profile=profile)


def test_bare_tuple_parameter(tmp_path: Path) -> None:
    assert "CH255" in truss_codes(tmp_path, chain("x: tuple) -> int"))


def test_each_file_of_a_batch_reports_its_own_endpoints(tmp_path: Path) -> None:
    # The classification is shared by the rules of one file, not across the files of a batch.
    files = {
        "first.py": chain("a: Any, b: list) -> Optional[int]"),
        "second.py": chain("c: set[int]) -> Any"),
    }
    write_files(tmp_path, files)
    config = Config(profile="truss", select=("CH2",))
    diagnostics = lint_files([tmp_path / "first.py", tmp_path / "second.py"], config).diagnostics
    by_file = {
        name: sorted(d.code for d in diagnostics if d.span.path.endswith(name))
        for name in ("first.py", "second.py")
    }
    assert by_file == {
        "first.py": ["CH201", "CH204", "CH251", "CH255"],
        "second.py": ["CH201", "CH254"],
    }
