"""Entrypoint rules (CH301-CH306), linted for real from files written to a temp folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.linter import lint_files
from chains_lint.rules.base import Profile
from tests.lint_helpers import codes, lint_text, write_files

SAY_HELLO = """
class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

HELLO_ALL = """
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])
"""


def chain(*parts: str, header: str = "import truss_chains as chains\n") -> str:
    return header + "\n\n".join(parts)


def line_of(source: str, needle: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [i for i, line in enumerate(source.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def only(diagnostics: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code == code]


def lint_many(
    folder: Path,
    files: Mapping[str, str],
    linted: Sequence[str],
    *,
    profile: Profile = "default",
    source_roots: Sequence[Path] = (),
) -> list[Diagnostic]:
    write_files(folder, files)
    config = Config(profile=profile, source_roots=tuple(source_roots))
    return lint_files([folder / name for name in linted], config).diagnostics


# -- CH301 multiple-entrypoints ------------------------------------------------


def test_second_entrypoint_is_reported_pointing_at_the_first(tmp_path: Path) -> None:
    source = chain("@chains.mark_entrypoint" + SAY_HELLO, "@chains.mark_entrypoint" + HELLO_ALL)
    found = only(lint_text(tmp_path, source), "CH301")
    assert len(found) == 1
    diagnostic = found[0]
    assert diagnostic.span.line == line_of(source, "@chains.mark_entrypoint", 2)
    assert diagnostic.related[0].line == line_of(source, "@chains.mark_entrypoint", 1)
    assert "`HelloAll`" in diagnostic.message and "`SayHello`" in diagnostic.message


def test_every_extra_entrypoint_is_reported_once(tmp_path: Path) -> None:
    third = SAY_HELLO.replace("SayHello", "SayBye")
    source = chain(
        "@chains.mark_entrypoint" + SAY_HELLO,
        "@chains.mark_entrypoint" + third,
        '@chains.mark_entrypoint("All")' + HELLO_ALL,
    )
    found = only(lint_text(tmp_path, source), "CH301")
    assert [d.message.split("`")[1] for d in found] == ["SayBye", "HelloAll"]
    first = line_of(source, "@chains.mark_entrypoint", 1)
    assert all(d.related[0].line == first for d in found)


def test_repeated_decorator_on_one_class(tmp_path: Path) -> None:
    source = chain("@chains.mark_entrypoint\n@chains.mark_entrypoint" + SAY_HELLO)
    found = only(lint_text(tmp_path, source), "CH301")
    assert len(found) == 1 and "twice" in found[0].message


@pytest.mark.parametrize(
    ("header", "mark"),
    [
        ("from truss_chains import mark_entrypoint as entry\nimport truss_chains as chains\n",
         "@entry"),
        ("import truss_chains\n\nchains = truss_chains\n", "@truss_chains.mark_entrypoint"),
        ("import chains_runtime as chains\n", "@chains.mark_entrypoint"),
    ],
)
def test_entrypoint_marks_are_found_through_aliases(
    tmp_path: Path, header: str, mark: str
) -> None:
    source = chain(mark + SAY_HELLO, mark + HELLO_ALL, header=header)
    if "chains = truss_chains" in header:
        source = source.replace("chains.ChainletBase", "truss_chains.ChainletBase").replace(
            "chains.depends", "truss_chains.depends"
        )
    assert codes(lint_text(tmp_path, source)).count("CH301") == 1


def test_one_entrypoint_is_fine(tmp_path: Path) -> None:
    source = chain(SAY_HELLO, "@chains.mark_entrypoint" + HELLO_ALL)
    assert lint_text(tmp_path, source) == []


# -- CH302 entrypoint-bad-arguments ---------------------------------------------


@pytest.mark.parametrize(
    ("decorator", "expected"),
    [
        ('@chains.mark_entrypoint(name="Hi")', "keyword argument `name`"),
        ('@chains.mark_entrypoint("A", "B")', "got 2"),
        ("@chains.mark_entrypoint(42)", "`42` is not a string"),
        ("@chains.mark_entrypoint(None)", "`None` is not a string"),
        ("@chains.mark_entrypoint()", "empty parentheses"),
        ("@chains.mark_entrypoint(*NAMES)", "unpacks"),
    ],
)
def test_bad_entrypoint_arguments(tmp_path: Path, decorator: str, expected: str) -> None:
    source = chain('NAMES = ["A"]\n', decorator + SAY_HELLO)
    found = only(lint_text(tmp_path, source), "CH302")
    assert len(found) == 1
    assert expected in found[0].message
    assert found[0].span.line == line_of(source, decorator)


@pytest.mark.parametrize(
    "decorator",
    [
        "@chains.mark_entrypoint",
        '@chains.mark_entrypoint("My Chain")',
        "@chains.mark_entrypoint(N)",
    ],
)
def test_good_entrypoint_arguments(tmp_path: Path, decorator: str) -> None:
    source = chain('N = "Named"\n', decorator + SAY_HELLO)
    assert lint_text(tmp_path, source) == []


# -- CH303 entrypoint-name-not-literal --------------------------------------------


@pytest.mark.parametrize("argument", ['f"chain-{VERSION}"', "make_name()", "config.NAME"])
def test_computed_chain_name_is_a_warning(tmp_path: Path, argument: str) -> None:
    source = chain(
        "import config\n\nVERSION = 2\n\n\ndef make_name() -> str:\n    return 'x'\n",
        f"@chains.mark_entrypoint({argument})" + SAY_HELLO,
    )
    found = only(lint_text(tmp_path, source), "CH303")
    assert len(found) == 1
    assert found[0].severity is Severity.WARNING
    assert f"`{argument}`" in found[0].message
    assert found[0].span.column == len("@chains.mark_entrypoint(") + 1


# -- CH304 entrypoint-not-chainlet -------------------------------------------------


def test_mark_on_plain_class(tmp_path: Path) -> None:
    source = chain("@chains.mark_entrypoint\nclass Settings:\n    x = 1\n", SAY_HELLO)
    found = only(lint_text(tmp_path, source), "CH304")
    assert len(found) == 1 and "`Settings` is not a chainlet" in found[0].message


def test_mark_on_class_with_known_non_chainlet_bases(tmp_path: Path) -> None:
    source = chain(
        "import pydantic\n",
        "class Base:\n    pass\n",
        "@chains.mark_entrypoint\nclass Output(pydantic.BaseModel, Base):\n    x: int\n",
        SAY_HELLO,
    )
    assert codes(lint_text(tmp_path, source)).count("CH304") == 1


def test_mark_on_function_and_method(tmp_path: Path) -> None:
    source = chain(
        "@chains.mark_entrypoint\ndef build() -> None:\n    pass\n",
        SAY_HELLO.replace(
            "    async def run_remote",
            "    @chains.mark_entrypoint\n    def helper(self) -> None:\n        pass\n\n"
            "    async def run_remote",
        ),
    )
    found = only(lint_text(tmp_path, source), "CH304")
    messages = sorted(d.message for d in found)
    assert len(messages) == 2
    assert "decorates the function `build`" in messages[0]
    assert "decorates the method `SayHello.helper`" in messages[1]


def test_mark_on_class_with_unknown_base_is_not_reported(tmp_path: Path) -> None:
    source = chain(
        "from somewhere_installed import MaybeAChainlet\n",
        "@chains.mark_entrypoint\nclass Mine(MaybeAChainlet):\n    pass\n",
    )
    assert "CH304" not in codes(lint_text(tmp_path, source))


def test_mark_on_indirect_chainlet_is_fine(tmp_path: Path) -> None:
    files = {
        "chain.py": chain(
            "import base\n",
            "@chains.mark_entrypoint\nclass Hello(base.Base):\n"
            "    async def run_remote(self, name: str) -> str:\n        return name\n",
        ),
        "base.py": "import truss_chains as chains\n\n\nclass Base(chains.ChainletBase):\n"
        "    pass\n",
    }
    assert "CH304" not in codes(lint_text(tmp_path, files))


# -- CH305 missing-entrypoint ---------------------------------------------------


def test_several_unmarked_chainlets(tmp_path: Path) -> None:
    found = only(lint_text(tmp_path, chain(SAY_HELLO, HELLO_ALL)), "CH305")
    assert len(found) == 1
    message = found[0].message
    assert "2 chainlets (`SayHello`, `HelloAll`)" in message
    assert "mark `HelloAll` (no other chainlet depends on it)" in message
    assert "or name it in every push: `truss chains push FILE NAME`" in message
    source = chain(SAY_HELLO, HELLO_ALL)
    span = found[0].span
    assert (span.line, span.column) == (line_of(source, "class SayHello"), 7)


def test_several_roots_are_all_suggested(tmp_path: Path) -> None:
    other = SAY_HELLO.replace("SayHello", "SayBye")
    found = only(lint_text(tmp_path, chain(SAY_HELLO, other)), "CH305")
    assert len(found) == 1
    assert "`SayHello`, `SayBye`" in found[0].message.split("depends on: ")[1]


def test_single_chainlet_is_the_implicit_entrypoint(tmp_path: Path) -> None:
    assert lint_text(tmp_path, chain(SAY_HELLO)) == []


def test_library_imported_by_another_linted_file(tmp_path: Path) -> None:
    files = {
        "lib.py": chain(SAY_HELLO, SAY_HELLO.replace("SayHello", "SayBye")),
        "chain.py": chain(
            "import lib\n",
            "@chains.mark_entrypoint" + HELLO_ALL.replace("SayHello", "lib.SayHello"),
        ),
    }
    linted_both = lint_many(tmp_path, files, ["chain.py", "lib.py"])
    assert "CH305" not in codes(linted_both)
    linted_alone = lint_many(tmp_path, files, ["lib.py"])
    assert codes(linted_alone) == ["CH305"]


def test_library_imported_from_a_source_root(tmp_path: Path) -> None:
    library = tmp_path / "lib"
    apps = tmp_path / "apps"
    files = {
        "lib/shared.py": chain(SAY_HELLO, SAY_HELLO.replace("SayHello", "SayBye")),
        "apps/chain.py": chain(
            "from shared import SayHello\n", "@chains.mark_entrypoint" + HELLO_ALL
        ),
    }
    write_files(tmp_path, files)
    config = Config(source_roots=(library, apps))
    result = lint_files([library / "shared.py"], config)
    assert "CH305" not in codes(result.diagnostics)
    without_roots = lint_files([library / "shared.py"], Config())
    assert "CH305" in codes(without_roots.diagnostics)


# -- CH306 truss-entrypoint-ambiguous-imports (truss profile) -----------------------

SINGLE_WITH_BASE_IMPORT = """
from truss_chains import ChainletBase


class SayHello(ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""


def test_chainletbase_imported_by_name_counts_in_truss(tmp_path: Path) -> None:
    found = lint_text(tmp_path, SINGLE_WITH_BASE_IMPORT, profile="truss")
    assert codes(found) == ["CH306"]
    assert found[0].span.line == 1
    assert "mark `SayHello`" in found[0].message
    assert lint_text(tmp_path, SINGLE_WITH_BASE_IMPORT, profile="default") == []


def test_marked_entrypoint_silences_the_base_import(tmp_path: Path) -> None:
    source = SINGLE_WITH_BASE_IMPORT.replace(
        "\n\nclass SayHello", "\n\n@mark_entrypoint\nclass SayHello"
    ).replace("import ChainletBase", "import ChainletBase, mark_entrypoint")
    assert lint_text(tmp_path, source, profile="truss") == []


def test_imported_chainlet_marked_elsewhere(tmp_path: Path) -> None:
    files = {
        "lib.py": chain("@chains.mark_entrypoint" + SAY_HELLO),
        "chain.py": chain("from lib import SayHello\n", "@chains.mark_entrypoint" + HELLO_ALL),
    }
    found = only(lint_text(tmp_path, files, profile="truss"), "CH306")
    assert len(found) == 1
    assert "a second entrypoint besides `HelloAll`" in found[0].message
    assert found[0].span.line == 2


def test_imported_marked_chainlet_would_become_the_entrypoint(tmp_path: Path) -> None:
    files = {
        "lib.py": chain("@chains.mark_entrypoint" + SAY_HELLO),
        "chain.py": chain("from lib import SayHello\n", HELLO_ALL),
    }
    found = only(lint_text(tmp_path, files, profile="truss"), "CH306")
    assert len(found) == 1
    assert "the entrypoint of this chain instead" in found[0].message


def test_module_imports_are_fine_in_truss(tmp_path: Path) -> None:
    files = {
        "lib.py": chain("@chains.mark_entrypoint" + SAY_HELLO),
        "chain.py": chain("import lib\n", HELLO_ALL.replace("SayHello", "lib.SayHello")),
    }
    assert "CH306" not in codes(lint_text(tmp_path, files, profile="truss"))


def test_star_import_of_the_sdk_binds_chainletbase_in_truss(tmp_path: Path) -> None:
    source = chain(SAY_HELLO, header="import truss_chains as chains\nfrom truss_chains import *\n")
    found = only(lint_text(tmp_path, source, profile="truss"), "CH306")
    assert len(found) == 1 and "`ChainletBase`" in found[0].message
    assert found[0].span.line == 2
