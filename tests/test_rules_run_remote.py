"""The ``run_remote`` signature rules (CH101-CH115), linted for real from files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pydantic
import pytest

from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.linter import lint_files
from chains_lint.rules.base import Profile
from chains_lint.rules.run_remote import PYDANTIC_BASEMODEL_ATTRIBUTES
from tests.lint_helpers import lint_text, write_files

HEADER = "import truss_chains as chains\n\n\n"


def chainlet(body: str, *, name: str = "Hello", header: str = HEADER) -> str:
    """A file with one chainlet class whose body is ``body`` (indented here)."""
    indented = "\n".join(f"    {line}" if line else "" for line in body.strip("\n").splitlines())
    return f"{header}class {name}(chains.ChainletBase):\n{indented}\n"


def found(
    tmp_path: Path,
    files: str | Mapping[str, str],
    code: str,
    *,
    profile: Profile = "default",
) -> list[Diagnostic]:
    return lint_text(tmp_path, files, profile=profile, select=(code,))


def positions(diagnostics: list[Diagnostic]) -> list[tuple[int, int]]:
    return [(d.span.line, d.span.column) for d in diagnostics]


def own_rules(tmp_path: Path, files: str | Mapping[str, str]) -> list[str]:
    return [d.code for d in lint_text(tmp_path, files, select=("CH1",))]


# ---------------------------------------------------------------------------
# CH101 run-remote-missing
# ---------------------------------------------------------------------------


def test_missing_run_remote_is_reported_at_class_name(tmp_path: Path) -> None:
    source = chainlet("async def greet(self, name: str) -> str:\n    return name")
    diagnostics = found(tmp_path, source, "CH101")
    assert positions(diagnostics) == [(4, 7)]
    assert "`Hello` has no `run_remote`" in diagnostics[0].message


def test_former_endpoint_name_run_is_pointed_out(tmp_path: Path) -> None:
    source = chainlet("async def run(self, name: str) -> str:\n    return name")
    (diagnostic,) = found(tmp_path, source, "CH101")
    assert "`Hello` has a `run` method but no `run_remote`" in diagnostic.message
    assert "rename it to `run_remote`" in diagnostic.message


def test_run_remote_inherited_from_chainlet_base_in_same_file_counts(tmp_path: Path) -> None:
    source = (
        HEADER
        + "class Base(chains.ChainletBase):\n"
        + "    async def run_remote(self, name: str) -> str:\n"
        + "        return name\n\n\n"
        + "@chains.mark_entrypoint\n"
        + "class Child(Base):\n"
        + "    pass\n"
    )
    assert found(tmp_path, source, "CH101") == []


def test_base_only_chainlet_without_run_remote_is_reported(tmp_path: Path) -> None:
    # truss validates every ChainletBase subclass, including bases (see the report).
    source = (
        HEADER
        + "class Base(chains.ChainletBase):\n"
        + "    def helper(self) -> int:\n"
        + "        return 1\n\n\n"
        + "@chains.mark_entrypoint\n"
        + "class Child(Base):\n"
        + "    async def run_remote(self, name: str) -> str:\n"
        + "        return name\n"
    )
    diagnostics = found(tmp_path, source, "CH101")
    assert positions(diagnostics) == [(4, 7)]
    assert "used as a base" in diagnostics[0].message
    assert "abc.abstractmethod" in diagnostics[0].message


def test_abstract_run_remote_in_base_satisfies_the_rule(tmp_path: Path) -> None:
    source = (
        "import abc\n\n"
        + HEADER
        + "class Base(chains.ChainletBase, abc.ABC):\n"
        + "    @abc.abstractmethod\n"
        + "    async def run_remote(self, name: str) -> str: ...\n\n\n"
        + "@chains.mark_entrypoint\n"
        + "class Child(Base):\n"
        + "    async def run_remote(self, name: str) -> str:\n"
        + "        return name\n"
    )
    assert own_rules(tmp_path, source) == []


def test_run_remote_inherited_from_other_file_counts(tmp_path: Path) -> None:
    files = {
        "base.py": chainlet(
            "async def run_remote(self, name: str) -> str:\n    return name", name="Base"
        ),
        "chain.py": "from base import Base\n\n\nclass Child(Base):\n    pass\n",
    }
    assert own_rules(tmp_path, files) == []


def test_unlinted_base_without_run_remote_is_reported_at_base_expression(tmp_path: Path) -> None:
    files = {
        "base.py": chainlet("def helper(self) -> int:\n    return 1", name="Base"),
        "chain.py": (
            "from base import Base\n\n\nclass Child(Base):\n"
            "    async def run_remote(self, name: str) -> str:\n        return name\n"
        ),
    }
    diagnostics = found(tmp_path, files, "CH101")
    assert positions(diagnostics) == [(4, 13)]
    assert "chainlet base `Base` (" in diagnostics[0].message
    assert "base.py) has no `run_remote`" in diagnostics[0].message
    assert [(Path(r.path).name, r.line) for r in diagnostics[0].related] == [("base.py", 4)]


def test_run_remote_from_a_plain_mixin_is_not_reported(tmp_path: Path) -> None:
    source = (
        HEADER
        + "class Mixin:\n"
        + "    async def run_remote(self, name: str) -> str:\n"
        + "        return name\n\n\n"
        + "class Hello(Mixin, chains.ChainletBase):\n"
        + "    pass\n"
    )
    assert found(tmp_path, source, "CH101") == []


def test_unknown_external_base_is_not_guessed(tmp_path: Path) -> None:
    source = (
        "from somelib import Endpoint\n"
        + HEADER
        + "class Hello(Endpoint, chains.ChainletBase):\n    pass\n"
    )
    assert found(tmp_path, source, "CH101") == []


def test_known_plain_bases_do_not_hide_a_missing_run_remote(tmp_path: Path) -> None:
    source = (
        "import abc\nfrom typing import Generic, TypeVar\n\n"
        + HEADER
        + 'T = TypeVar("T")\n\n\n'
        + "class Hello(chains.ChainletBase, Generic[T], abc.ABC):\n    pass\n"
    )
    assert positions(found(tmp_path, source, "CH101")) == [(10, 7)]


def test_run_remote_assigned_as_attribute_is_not_reported(tmp_path: Path) -> None:
    source = (
        HEADER
        + "async def serve(self: object, name: str) -> str:\n    return name\n\n\n"
        + "class Hello(chains.ChainletBase):\n    run_remote = serve\n"
    )
    assert found(tmp_path, source, "CH101") == []


@pytest.mark.parametrize(
    "header, base",
    [
        ("from truss_chains import ChainletBase as CB\n\n\n", "CB"),
        ("import chains_runtime as chains\n\n\n", "chains.ChainletBase"),
        ("import truss_chains\n\n\n", "truss_chains.ChainletBase"),
    ],
)
def test_missing_run_remote_with_aliased_imports(tmp_path: Path, header: str, base: str) -> None:
    source = f"{header}class Hello({base}):\n    pass\n"
    assert positions(found(tmp_path, source, "CH101")) == [(4, 7)]


def test_plain_class_is_not_a_chainlet(tmp_path: Path) -> None:
    source = HEADER + "class Helper:\n    pass\n"
    assert found(tmp_path, source, "CH101") == []


# ---------------------------------------------------------------------------
# CH102 run-remote-not-plain-method, CH103 run-remote-self
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "decorator, signature",
    [
        ("staticmethod", "(name: str)"),
        ("classmethod", "(cls, name: str)"),
        ("property", "(self)"),
        ("functools.cached_property", "(self)"),
    ],
)
def test_decorated_run_remote_is_reported_at_decorator(
    tmp_path: Path, decorator: str, signature: str
) -> None:
    source = chainlet(
        f"@{decorator}\nasync def run_remote{signature} -> str:\n    return ''",
        header="import functools\n\n" + HEADER,
    )
    diagnostics = found(tmp_path, source, "CH102")
    assert positions(diagnostics) == [(7, 5)]
    assert f"`@{decorator}`" in diagnostics[0].message
    # The decorator is the problem: CH103 does not pile on about `cls` / `name`.
    assert found(tmp_path, source, "CH103") == []


def test_other_decorators_are_fine(tmp_path: Path) -> None:
    source = chainlet(
        "@abc.abstractmethod\nasync def run_remote(self, name: str) -> str:\n    return name",
        header="import abc\n\n" + HEADER,
    )
    assert found(tmp_path, source, "CH102") == []


def test_staticmethod_shadowed_by_local_name_is_not_builtin(tmp_path: Path) -> None:
    source = chainlet(
        "@staticmethod\nasync def run_remote(self, name: str) -> str:\n    return name",
        header=HEADER + "def staticmethod(f: object) -> object:\n    return f\n\n\n",
    )
    assert found(tmp_path, source, "CH102") == []


def test_first_parameter_not_named_self(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(this, name: str) -> str:\n    return name")
    diagnostics = found(tmp_path, source, "CH103")
    assert positions(diagnostics) == [(5, 26)]
    assert "got `this`" in diagnostics[0].message


def test_run_remote_without_parameters(tmp_path: Path) -> None:
    source = chainlet("async def run_remote() -> str:\n    return ''")
    assert positions(found(tmp_path, source, "CH103")) == [(5, 15)]


def test_keyword_only_first_parameter_means_no_self(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(*, name: str) -> str:\n    return name")
    diagnostics = found(tmp_path, source, "CH103")
    assert positions(diagnostics) == [(5, 29)]
    # And `name` is then a request field, checked like any other.
    assert found(tmp_path, source, "CH104") == []


def test_self_first_is_fine(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(self, name: str) -> str:\n    return name")
    assert own_rules(tmp_path, source) == []


# ---------------------------------------------------------------------------
# CH104 / CH105 annotations
# ---------------------------------------------------------------------------


def test_unannotated_parameters_are_reported_each(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(self, name, count=3) -> str:\n    return name")
    diagnostics = found(tmp_path, source, "CH104")
    assert positions(diagnostics) == [(5, 32), (5, 38)]
    assert "`name: str`" in diagnostics[0].message
    assert "`count: int`" in diagnostics[1].message


def test_self_and_annotated_parameters_need_nothing(tmp_path: Path) -> None:
    source = chainlet(
        "async def run_remote(self, name: str, count: int = 3) -> str:\n    return name"
    )
    assert found(tmp_path, source, "CH104") == []


def test_unannotated_star_args_is_left_to_variadic_rule(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(self, *names) -> str:\n    return ''")
    assert found(tmp_path, source, "CH104") == []
    assert len(found(tmp_path, source, "CH106")) == 1


def test_missing_return_annotation_is_reported_at_name(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(self, name: str):\n    return name")
    diagnostics = found(tmp_path, source, "CH105")
    assert positions(diagnostics) == [(5, 15)]
    assert "`-> str`" in diagnostics[0].message


def test_missing_return_annotation_of_stream_suggests_iterator(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(self, name: str):\n    yield name")
    diagnostics = found(tmp_path, source, "CH105")
    assert "`-> AsyncIterator[str]`" in diagnostics[0].message
    # Without an annotation the streaming rules have nothing to compare.
    assert found(tmp_path, source, "CH111") == []


def test_none_return_annotation_is_fine(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(self, name: str) -> None:\n    print(name)")
    assert found(tmp_path, source, "CH105") == []


# ---------------------------------------------------------------------------
# CH106 / CH107 parameter kinds
# ---------------------------------------------------------------------------


def test_star_args_and_kwargs_are_reported_at_the_parameter(tmp_path: Path) -> None:
    source = chainlet(
        "async def run_remote(self, *names: str, **options: int) -> str:\n    return ''"
    )
    diagnostics = found(tmp_path, source, "CH106")
    assert positions(diagnostics) == [(5, 32), (5, 45)]
    assert "`*names`" in diagnostics[0].message
    assert "`**options`" in diagnostics[1].message


def test_keyword_only_parameters_are_fine(tmp_path: Path) -> None:
    source = chainlet(
        "async def run_remote(self, *, name: str, loud: bool = False) -> str:\n    return name"
    )
    assert own_rules(tmp_path, source) == []


def test_positional_only_parameters_are_reported_each(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(self, a: int, b: int, /) -> int:\n    return a + b")
    diagnostics = found(tmp_path, source, "CH107")
    assert positions(diagnostics) == [(5, 32), (5, 40)]


def test_only_self_positional_only_is_fine(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(self, /, a: int) -> int:\n    return a")
    assert found(tmp_path, source, "CH107") == []


# ---------------------------------------------------------------------------
# CH108 / CH109 parameter names
# ---------------------------------------------------------------------------


def test_leading_underscore_parameter_is_reported(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(self, _name: str, ok_: str) -> str:\n    return ok_")
    diagnostics = found(tmp_path, source, "CH108")
    assert positions(diagnostics) == [(5, 32)]
    assert "e.g. `name`" in diagnostics[0].message


@pytest.mark.parametrize("name", ["json", "dict", "model_config", "model_dump", "validate"])
def test_parameter_named_like_basemodel_attribute(tmp_path: Path, name: str) -> None:
    source = chainlet(f"async def run_remote(self, {name}: str) -> str:\n    return {name}")
    diagnostics = found(tmp_path, source, "CH109")
    assert positions(diagnostics) == [(5, 32)]
    assert f"`{name}`" in diagnostics[0].message


@pytest.mark.parametrize("name", ["payload", "model_name", "json_text", "fields"])
def test_other_names_do_not_clash(tmp_path: Path, name: str) -> None:
    source = chainlet(f"async def run_remote(self, {name}: str) -> str:\n    return {name}")
    assert found(tmp_path, source, "CH109") == []


def test_basemodel_names_match_installed_pydantic() -> None:
    public = {n for n in dir(pydantic.BaseModel) if not n.startswith("_")}
    assert public == PYDANTIC_BASEMODEL_ATTRIBUTES, (
        f"pydantic {pydantic.VERSION}: missing {sorted(public - PYDANTIC_BASEMODEL_ATTRIBUTES)}, "
        f"stale {sorted(PYDANTIC_BASEMODEL_ATTRIBUTES - public)}"
    )


# ---------------------------------------------------------------------------
# CH110 run-remote-sync
# ---------------------------------------------------------------------------


def test_sync_run_remote_is_a_warning_at_the_name(tmp_path: Path) -> None:
    source = chainlet("def run_remote(self, name: str) -> str:\n    return name")
    diagnostics = found(tmp_path, source, "CH110")
    assert positions(diagnostics) == [(5, 9)]
    assert diagnostics[0].severity is Severity.WARNING


def test_async_run_remote_is_not_warned(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(self, name: str) -> str:\n    return name")
    assert found(tmp_path, source, "CH110") == []


# ---------------------------------------------------------------------------
# CH111-CH113 streaming
# ---------------------------------------------------------------------------

ASYNC_ITERATOR = "from collections.abc import AsyncIterator, Iterator\n\n" + HEADER


def test_yield_without_stream_type_is_reported_at_annotation(tmp_path: Path) -> None:
    source = chainlet("async def run_remote(self, n: int) -> str:\n    yield str(n)")
    diagnostics = found(tmp_path, source, "CH111")
    assert positions(diagnostics) == [(5, 43)]
    assert "`AsyncIterator[str]`" in diagnostics[0].message


def test_yield_with_optional_return_type_is_reported(tmp_path: Path) -> None:
    source = chainlet(
        "async def run_remote(self, n: int) -> Optional[str]:\n    yield str(n)",
        header="from typing import Optional\n\n" + HEADER,
    )
    assert len(found(tmp_path, source, "CH111")) == 1


@pytest.mark.parametrize(
    "header, annotation",
    [
        ("from collections.abc import AsyncIterator\n", "AsyncIterator[str]"),
        ("from typing import AsyncIterator\n", "AsyncIterator[bytes]"),
        ("import typing as t\n", "t.AsyncIterator[str]"),
        ("from collections import abc\n", "abc.AsyncIterator[str]"),
        ("from typing_extensions import AsyncGenerator\n", "AsyncGenerator[str, None]"),
        ("from typing import AsyncIterator\n", '"AsyncIterator[str]"'),
    ],
)
def test_yield_with_async_stream_type_is_fine(tmp_path: Path, header: str, annotation: str) -> None:
    source = chainlet(
        f"async def run_remote(self, n: int) -> {annotation}:\n    yield str(n)",
        header=header + "\n" + HEADER,
    )
    assert own_rules(tmp_path, source) == []


def test_stream_type_alias_is_not_guessed(tmp_path: Path) -> None:
    source = chainlet(
        "async def run_remote(self, n: int) -> Stream:\n    yield str(n)",
        header="from typing import AsyncIterator\n\nStream = AsyncIterator[str]\n" + HEADER,
    )
    assert own_rules(tmp_path, source) == []


@pytest.mark.parametrize(
    "header, annotation",
    [
        ("from tokenlib.types import TokenStream\n", "TokenStream"),  # unknown library
        ("", "Undefined[str]"),  # name that resolves to nothing
        ("", "'AsyncIterator[str'"),  # unparsable forward reference
    ],
)
def test_unknown_return_types_are_not_guessed(tmp_path: Path, header: str, annotation: str) -> None:
    source = chainlet(
        f"async def run_remote(self, n: int) -> {annotation}:\n    yield str(n)",
        header=header + HEADER,
    )
    assert found(tmp_path, source, "CH111") == []


def test_stream_type_without_yield_is_reported(tmp_path: Path) -> None:
    source = chainlet(
        "async def run_remote(self, text: str) -> AsyncIterator[str]:\n    return text.split()",
        header=ASYNC_ITERATOR,
    )
    diagnostics = found(tmp_path, source, "CH112")
    assert positions(diagnostics) == [(7, 46)]


def test_yield_in_nested_function_does_not_make_a_stream(tmp_path: Path) -> None:
    body = (
        "async def run_remote(self, text: str) -> AsyncIterator[str]:\n"
        "    async def words() -> AsyncIterator[str]:\n"
        "        yield text\n"
        "    return words()"
    )
    source = chainlet(body, header=ASYNC_ITERATOR)
    assert len(found(tmp_path, source, "CH112")) == 1


def test_async_def_with_sync_iterator_is_a_mismatch(tmp_path: Path) -> None:
    source = chainlet(
        "async def run_remote(self, n: int) -> Iterator[bytes]:\n    yield b''",
        header=ASYNC_ITERATOR,
    )
    diagnostics = found(tmp_path, source, "CH113")
    assert positions(diagnostics) == [(7, 43)]
    assert "`AsyncIterator[bytes]`" in diagnostics[0].message


def test_sync_def_with_async_iterator_is_a_mismatch(tmp_path: Path) -> None:
    source = chainlet(
        "def run_remote(self, n: int) -> AsyncIterator[str]:\n    yield ''",
        header=ASYNC_ITERATOR,
    )
    diagnostics = found(tmp_path, source, "CH113")
    assert "`Iterator[str]`" in diagnostics[0].message


def test_sync_generator_with_iterator_is_fine_in_default_profile(tmp_path: Path) -> None:
    source = chainlet(
        "def run_remote(self, n: int) -> Iterator[str]:\n    yield ''", header=ASYNC_ITERATOR
    )
    assert own_rules(tmp_path, source) == ["CH110"]


# ---------------------------------------------------------------------------
# CH114 / CH115 truss profile
# ---------------------------------------------------------------------------


def test_sync_streaming_is_an_error_for_truss_only(tmp_path: Path) -> None:
    source = chainlet(
        "def run_remote(self, n: int) -> Iterator[str]:\n    yield ''", header=ASYNC_ITERATOR
    )
    assert positions(found(tmp_path, source, "CH114", profile="truss")) == [(7, 9)]
    assert found(tmp_path, source, "CH114") == []


def test_generator_return_type_is_an_error_for_truss_only(tmp_path: Path) -> None:
    source = chainlet(
        "async def run_remote(self, n: int) -> AsyncGenerator[str, None]:\n    yield ''",
        header="from typing import AsyncGenerator\n\n" + HEADER,
    )
    diagnostics = found(tmp_path, source, "CH115", profile="truss")
    assert positions(diagnostics) == [(7, 43)]
    assert "`AsyncIterator[str]`" in diagnostics[0].message
    assert found(tmp_path, source, "CH115") == []


def test_async_iterator_is_fine_for_truss(tmp_path: Path) -> None:
    source = chainlet(
        "async def run_remote(self, n: int) -> AsyncIterator[str]:\n    yield ''",
        header=ASYNC_ITERATOR,
    )
    diagnostics = lint_text(tmp_path, source, profile="truss", select=("CH1",))
    assert diagnostics == []


# ---------------------------------------------------------------------------
# Inherited run_remote
# ---------------------------------------------------------------------------

BAD_BASE = chainlet("async def run_remote(self, name) -> str:\n    return name", name="Base")
CHILD = "from base import Base\n\n\nclass Child(Base):\n    pass\n"


def test_inherited_problem_from_unlinted_file_is_reported_at_subclass(tmp_path: Path) -> None:
    diagnostics = found(tmp_path, {"base.py": BAD_BASE, "chain.py": CHILD}, "CH104")
    assert [(Path(d.span.path).name, d.span.line, d.span.column) for d in diagnostics] == [
        ("chain.py", 4, 7)
    ]
    message = diagnostics[0].message
    assert message.startswith("`Child` inherits `run_remote` from `Base` (")
    assert "base.py:5): `run_remote` parameter `name` has no type annotation" in message
    related = [(Path(r.path).name, r.line, r.column) for r in diagnostics[0].related]
    assert related == [("base.py", 5, 32)]


def test_inherited_problem_from_linted_file_is_reported_once_where_defined(
    tmp_path: Path,
) -> None:
    main = write_files(tmp_path, {"base.py": BAD_BASE, "chain.py": CHILD})
    result = lint_files([main, tmp_path / "base.py"], Config(select=("CH104",)))
    assert [(Path(d.span.path).name, d.span.line) for d in result.diagnostics] == [("base.py", 5)]


def test_inherited_problem_in_same_file_is_reported_once_at_base(tmp_path: Path) -> None:
    source = (
        HEADER
        + "class Base(chains.ChainletBase):\n"
        + "    async def run_remote(self, name) -> str:\n"
        + "        return name\n\n\n"
        + "@chains.mark_entrypoint\n"
        + "class Child(Base):\n"
        + "    pass\n"
    )
    assert positions(found(tmp_path, source, "CH104")) == [(5, 32)]


def test_inherited_problem_through_aliased_sdk_import(tmp_path: Path) -> None:
    files = {
        "base.py": (
            "from truss_chains import ChainletBase as CB\n\n\n"
            "class Base(CB):\n    def run_remote(self, name: str) -> str:\n        return name\n"
        ),
        "chain.py": "import base as b\n\n\nclass Child(b.Base):\n    pass\n",
    }
    diagnostics = found(tmp_path, files, "CH110")
    assert positions(diagnostics) == [(4, 7)]
    assert "inherits `run_remote` from `Base`" in diagnostics[0].message


def test_override_in_subclass_replaces_inherited_problem(tmp_path: Path) -> None:
    files = {
        "base.py": BAD_BASE,
        "chain.py": (
            "from base import Base\n\n\nclass Child(Base):\n"
            "    async def run_remote(self, name: str) -> str:\n        return name\n"
        ),
    }
    assert own_rules(tmp_path, files) == []


# ---------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "run_remote = lambda self: 1",
        "async def run_remote(self, *, _: 'int[' = 1) -> 'str(':\n    yield",
        "async def run_remote(self, x: int = 1, *a, b, **c) -> (lambda: 1)():\n    pass",
        "async def run_remote(self) -> 'AsyncIterator[str]' 'x':\n    return",
        "class run_remote:\n    pass",
    ],
)
def test_odd_signatures_do_not_crash(tmp_path: Path, body: str) -> None:
    lint_text(tmp_path, chainlet(body), profile="truss", select=("CH1",))


def test_self_referencing_base_does_not_loop(tmp_path: Path) -> None:
    source = HEADER + "class Loop(Loop, chains.ChainletBase):\n    pass\n"
    lint_text(tmp_path, source, select=("CH1",))
