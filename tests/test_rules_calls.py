"""CH501-CH511: calls to dependencies, checked against the callee's ``run_remote``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic
from chains_lint.linter import lint_files
from chains_lint.rules.base import Profile
from tests.lint_helpers import lint_text, write_files

_CALLEE_KINDS = {
    "async": "    async def run_remote(self, x: str) -> str:\n        return x\n",
    "sync": "    def run_remote(self, x: str) -> str:\n        return x\n",
    "async_stream": (
        "    async def run_remote(self, x: str) -> AsyncIterator[str]:\n        yield x\n"
    ),
    "sync_stream": "    def run_remote(self, x: str) -> Iterator[str]:\n        yield x\n",
}

_TEMPLATE = """
import asyncio
from collections.abc import AsyncIterator, Iterator

import truss_chains as chains


class Dep(chains.ChainletBase):
CALLEE

@chains.mark_entrypoint
class Top(chains.ChainletBase):
    def __init__(self, dep: Dep = chains.depends(Dep)) -> None:
        self._dep = dep

    async def run_remote(self, xs: list[str]) -> str:
BODY
EXTRA
"""


def _chain(body: str, callee: str = "async", extra: str = "") -> str:
    text = _TEMPLATE.replace("CALLEE", _CALLEE_KINDS.get(callee, callee))
    text = text.replace("BODY", textwrap.indent(textwrap.dedent(body).strip("\n"), " " * 8))
    return text.replace("EXTRA", textwrap.indent(textwrap.dedent(extra).strip("\n"), "    "))


def _found(
    tmp_path: Path,
    files: str | dict[str, str],
    prefix: str = "CH5",
    profile: Profile = "default",
) -> list[Diagnostic]:
    return [d for d in lint_text(tmp_path, files, profile=profile) if d.code.startswith(prefix)]


def _codes(
    tmp_path: Path, body: str, callee: str = "async", extra: str = "", profile: Profile = "default"
) -> list[str]:
    return [d.code for d in _found(tmp_path, _chain(body, callee, extra), profile=profile)]


# ---------------------------------------------------------------------------
# CH501 coroutine-never-awaited
# ---------------------------------------------------------------------------

CONCEPT_GUIDE_HELLO_ALL = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


class HelloAll(chains.ChainletBase):

    def __init__(self, say_hello_chainlet=chains.depends(SayHello)) -> None:
        self._say_hello = say_hello_chainlet

    async def run_remote(self, names: list[str]) -> str:
        output = []
        for name in names:
            output.append(self._say_hello.run_remote(name))
        return "\\n".join(output)
"""


def test_concept_guide_hello_all_is_reported(tmp_path: Path) -> None:
    found = _found(tmp_path, CONCEPT_GUIDE_HELLO_ALL)
    assert [(d.code, d.span.line, d.span.column) for d in found] == [("CH501", 17, 27)]
    message = found[0].message
    assert "`self._say_hello.run_remote(name)`" in message
    assert "stored in `output` but never awaited" in message
    assert "asyncio.gather" in message


@pytest.mark.parametrize(
    "body",
    [
        "self._dep.run_remote('a')\nreturn ''",
        "return f\"{self._dep.run_remote('a')}\"",
        "return self._dep.run_remote('a')",
        "pending = self._dep.run_remote('a')\nreturn str(pending)",
        "print(self._dep.run_remote('a'))\nreturn ''",
        "return '\\n'.join([self._dep.run_remote(x) for x in xs])",
        "return str(self._dep.run_remote('a') == 'a')",
    ],
    ids=["discarded", "f-string", "returned", "stored", "print", "join", "comparison"],
)
def test_unawaited_async_call_is_reported(body: str, tmp_path: Path) -> None:
    assert _codes(tmp_path, body) == ["CH501"]


@pytest.mark.parametrize(
    "body",
    [
        "return await self._dep.run_remote('a')",
        "return ''.join(await asyncio.gather(*[self._dep.run_remote(x) for x in xs]))",
        "return ''.join(await asyncio.gather(*(self._dep.run_remote(x) for x in xs)))",
        """
        tasks = [asyncio.create_task(self._dep.run_remote(x)) for x in xs]
        return ''.join(await asyncio.gather(*tasks))
        """,
        """
        async with asyncio.TaskGroup() as tg:
            for x in xs:
                tg.create_task(self._dep.run_remote(x))
        return ''
        """,
        """
        coros = []
        for x in xs:
            coros.append(self._dep.run_remote(x))
        return ''.join(await asyncio.gather(*coros))
        """,
        """
        first = self._dep.run_remote('a')
        second = self._dep.run_remote('b')
        return await first + await second
        """,
        "return await asyncio.wait_for(self._dep.run_remote('a'), timeout=3)",
        "return ''.join([await self._dep.run_remote(x) for x in xs])",
    ],
    ids=[
        "await", "gather-list", "gather-generator", "create-task", "task-group", "append-gather",
        "stored-awaited", "wait-for", "async-comprehension",
    ],
)
def test_awaited_or_scheduled_call_is_clean(body: str, tmp_path: Path) -> None:
    diagnostics = lint_text(tmp_path, _chain(body))
    assert diagnostics == []


def test_returned_from_run_remote_message(tmp_path: Path) -> None:
    (found,) = _found(tmp_path, _chain("return self._dep.run_remote('a')"))
    assert "`run_remote` returns the coroutine" in found.message
    assert "write `return await self._dep.run_remote('a')`" in found.message


def test_helper_returning_coroutine_that_is_awaited_is_clean(tmp_path: Path) -> None:
    source = _chain(
        "return await self._fetch('a')",
        extra="""
        def _fetch(self, x: str):
            return self._dep.run_remote(x)
        """,
    )
    assert _found(tmp_path, source) == []


def test_helper_returning_coroutine_nobody_awaits(tmp_path: Path) -> None:
    source = _chain(
        "self._fetch('a')\nreturn ''",
        extra="""
        def _fetch(self, x: str):
            return self._dep.run_remote(x)
        """,
    )
    (found,) = _found(tmp_path, source)
    assert found.code == "CH501"
    assert "returned by `_fetch` without being awaited" in found.message


def test_async_dependency_called_from_sync_method(tmp_path: Path) -> None:
    source = _chain(
        "return self._sync('a')",
        extra="""
        def _sync(self, x: str) -> str:
            return str(self._dep.run_remote(x))
        """,
    )
    (found,) = _found(tmp_path, source)
    assert found.code == "CH501"
    assert "not `async def`" in found.message


def test_async_dependency_run_with_asyncio_run_from_sync_method_is_clean(tmp_path: Path) -> None:
    source = _chain(
        "return self._sync('a')",
        extra="""
        def _sync(self, x: str) -> str:
            return asyncio.run(self._dep.run_remote(x))
        """,
    )
    assert _found(tmp_path, source) == []


def test_callee_in_another_file(tmp_path: Path) -> None:
    files = {
        "chain.py": """
import truss_chains as chains
from helpers.say import SayHello


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> str:
        return self._say_hello.run_remote(name, 3)
""",
        "helpers/__init__.py": "",
        "helpers/say.py": """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
""",
    }
    found = _found(tmp_path, files)
    assert sorted(d.code for d in found) == ["CH501", "CH508"]


def test_callee_that_cannot_be_resolved_is_skipped(tmp_path: Path) -> None:
    source = """
import truss_chains as chains
from installed_package import Remote


@chains.mark_entrypoint
class Top(chains.ChainletBase):
    def __init__(self, remote: Remote = chains.depends(Remote)) -> None:
        self._remote = remote

    async def run_remote(self, name: str) -> str:
        return self._remote.run_remote(name, 1, 2, 3)
"""
    assert _found(tmp_path, source) == []


# ---------------------------------------------------------------------------
# CH502-CH505: sync and streaming callees
# ---------------------------------------------------------------------------


def test_await_on_sync_dependency(tmp_path: Path) -> None:
    assert _codes(tmp_path, "return await self._dep.run_remote('a')", "sync") == ["CH502"]


def test_gather_of_sync_dependency(tmp_path: Path) -> None:
    body = "return ''.join(await asyncio.gather(*[self._dep.run_remote(x) for x in xs]))"
    found = _found(tmp_path, _chain(body, "sync"))
    assert [d.code for d in found] == ["CH502"]
    assert "cannot be passed to asyncio" in found[0].message


def test_sync_dependency_used_directly_is_fine(tmp_path: Path) -> None:
    body = "first = self._dep.run_remote('a')\nreturn first + self._dep.run_remote('b')"
    assert _codes(tmp_path, body, "sync") == []


def test_await_on_streaming_dependency(tmp_path: Path) -> None:
    found = _found(tmp_path, _chain("return await self._dep.run_remote('a')", "async_stream"))
    assert [d.code for d in found] == ["CH503"]
    assert "`async for chunk in self._dep.run_remote('a'):`" in found[0].message


def test_gather_of_streaming_dependency(tmp_path: Path) -> None:
    body = "return str(await asyncio.gather(self._dep.run_remote('a')))"
    assert _codes(tmp_path, body, "async_stream") == ["CH503"]


def test_async_for_over_async_stream_is_fine(tmp_path: Path) -> None:
    body = """
    out = ""
    async for chunk in self._dep.run_remote("a"):
        out += chunk
    return out
    """
    assert _codes(tmp_path, body, "async_stream") == []


def test_stored_stream_iterated_later_is_fine(tmp_path: Path) -> None:
    body = """
    stream = self._dep.run_remote("a")
    return "".join([chunk async for chunk in stream])
    """
    assert _codes(tmp_path, body, "async_stream") == []


@pytest.mark.parametrize(
    ("callee", "loop", "expected"),
    [
        ("async", "async for", "does not stream, so `async for`"),
        ("sync", "async for", "does not stream (and is sync)"),
        ("sync_stream", "async for", "is a sync generator"),
        ("async", "for", "is a coroutine that `for` cannot iterate"),
        ("async_stream", "for", "use `async for chunk in"),
    ],
)
def test_wrong_loop(callee: str, loop: str, expected: str, tmp_path: Path) -> None:
    body = f"""
    out = ""
    {loop} chunk in self._dep.run_remote("a"):
        out += chunk
    return out
    """
    found = _found(tmp_path, _chain(body, callee))
    assert [d.code for d in found] == ["CH504"]
    assert expected in found[0].message


@pytest.mark.parametrize(("callee", "loop"), [("sync", "for"), ("sync_stream", "for")])
def test_right_loop(callee: str, loop: str, tmp_path: Path) -> None:
    body = f"""
    out = ""
    {loop} chunk in self._dep.run_remote("a"):
        out += chunk
    return out
    """
    assert _codes(tmp_path, body, callee) == []


@pytest.mark.parametrize("callee", ["async_stream", "sync_stream"])
def test_discarded_stream(callee: str, tmp_path: Path) -> None:
    assert _codes(tmp_path, "self._dep.run_remote('a')\nreturn ''", callee) == ["CH505"]


def test_sync_stream_passed_to_join_is_fine(tmp_path: Path) -> None:
    assert _codes(tmp_path, "return ''.join(self._dep.run_remote('a'))", "sync_stream") == []


# ---------------------------------------------------------------------------
# CH506-CH510: arguments
# ---------------------------------------------------------------------------

_SIGNATURE = """    async def run_remote(self, text: str, times: int, *, sep: str = " ") -> str:
        return sep.join([text] * times)
"""


def _arg_codes(
    tmp_path: Path, call: str, callee: str = _SIGNATURE, profile: Profile = "default"
) -> list[str]:
    return _codes(tmp_path, f"return await self._dep.run_remote({call})", callee, profile=profile)


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("'a', 2", []),
        ("'a', times=2", []),
        ("text='a', times=2, sep='-'", []),
        ("'a'", ["CH506"]),
        ("", ["CH506"]),
        ("'a', 2, tims=3", ["CH507"]),
        ("'a', 2, colour='red'", ["CH507"]),
        ("'a', 2, '-'", ["CH508"]),
        ("'a', 2, text='b'", ["CH509"]),
        ("*xs", []),
        ("'a', **{'times': 2}", []),
    ],
)
def test_argument_checks(call: str, expected: list[str], tmp_path: Path) -> None:
    assert _arg_codes(tmp_path, call) == expected


def test_missing_arguments_message_lists_all(tmp_path: Path) -> None:
    source = _chain("return await self._dep.run_remote()", _SIGNATURE)
    (found,) = _found(tmp_path, source)
    assert "missing arguments `text`, `times`" in found.message
    line = _line_of(source, "run_remote()")
    assert (found.span.line, found.span.column) == (line, 22)


def _line_of(source: str, text: str) -> int:
    lines = source.lstrip("\n").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if text in line)


def test_misspelled_keyword_is_not_also_missing(tmp_path: Path) -> None:
    source = _chain("return await self._dep.run_remote('a', tims=2)", _SIGNATURE)
    found = _found(tmp_path, source)
    assert [d.code for d in found] == ["CH507"]
    assert "did you mean `times`?" in found[0].message
    line = _line_of(source, "tims=2")
    text = source.lstrip("\n").splitlines()[line - 1]
    assert (found[0].span.line, found[0].span.column) == (line, text.index("2)") + 1)


def test_positional_only_passed_by_keyword(tmp_path: Path) -> None:
    callee = "    async def run_remote(self, text: str, /) -> str:\n        return text\n"
    found = _found(tmp_path, _chain("return await self._dep.run_remote(text='a')", callee))
    assert [d.code for d in found] == ["CH507"]
    assert "positional-only" in found[0].message


def test_callee_with_varargs_and_kwargs_accepts_more(tmp_path: Path) -> None:
    callee = (
        "    async def run_remote(self, *parts: str, **extra: str) -> str:\n"
        "        return ''.join(parts)\n"
    )
    assert _arg_codes(tmp_path, "'a', 'b', 'c', colour='red'", callee) == []


def test_callee_without_parameters(tmp_path: Path) -> None:
    callee = "    async def run_remote(self) -> str:\n        return ''\n"
    found = _found(tmp_path, _chain("return await self._dep.run_remote(name='a')", callee))
    assert [d.code for d in found] == ["CH507"]
    assert "it takes no arguments" in found[0].message


def test_omitted_default_only_in_truss_profile(tmp_path: Path) -> None:
    assert _arg_codes(tmp_path, "'a', 2", profile="truss") == ["CH510"]
    assert _arg_codes(tmp_path, "'a', 2, sep='-'", profile="truss") == []
    assert _arg_codes(tmp_path, "'a', 2", profile="default") == []


def test_arguments_checked_for_scheduled_calls_too(tmp_path: Path) -> None:
    body = "return ''.join(await asyncio.gather(*[self._dep.run_remote(x, 1, 2) for x in xs]))"
    assert _codes(tmp_path, body) == ["CH508"]


# ---------------------------------------------------------------------------
# CH511: other members of a dependency
# ---------------------------------------------------------------------------

_MEMBERS = """    prefix = "Hello"

    def __init__(self) -> None:
        self.tokenizer = object()

    async def run_remote(self, x: str) -> str:
        return x

    def helper(self) -> str:
        return self.prefix
"""


@pytest.mark.parametrize(
    "expression",
    ["self._dep.prefix", "self._dep.helper()", "str(self._dep.tokenizer)"],
)
def test_member_of_dependency(expression: str, tmp_path: Path) -> None:
    found = _found(tmp_path, _chain(f"return {expression}", _MEMBERS))
    assert [d.code for d in found] == ["CH511"]
    assert "only exists locally" in found[0].message


def test_misspelled_run_remote(tmp_path: Path) -> None:
    found = _found(tmp_path, _chain("return await self._dep.run_remot('a')"))
    assert [d.code for d in found] == ["CH511"]
    assert "did you mean `run_remote`?" in found[0].message


def test_unrelated_members_and_run_remote_reference_are_fine(tmp_path: Path) -> None:
    body = """
    remote = self._dep.run_remote
    name = self._dep.whatever
    return await remote(name)
    """
    assert _codes(tmp_path, body, _MEMBERS) == []


# ---------------------------------------------------------------------------
# Inherited methods
# ---------------------------------------------------------------------------

_BASE = """
import truss_chains as chains


class Base(chains.ChainletBase):
    async def run_remote(self, x: str) -> str:
        return self._dep.run_remote(x)
"""

_SUB = """
import truss_chains as chains
from base import Base


class Dep(chains.ChainletBase):
    async def run_remote(self, x: str) -> str:
        return x


@chains.mark_entrypoint
class Top(Base):
    def __init__(self, dep: Dep = chains.depends(Dep)) -> None:
        self._dep = dep
"""


def test_inherited_call_from_unlinted_file_is_reported_at_subclass(tmp_path: Path) -> None:
    found = _found(tmp_path, {"chain.py": _SUB, "base.py": _BASE})
    assert len(found) == 1
    diagnostic = found[0]
    assert diagnostic.code == "CH501"
    assert diagnostic.span.path.endswith("chain.py")
    assert diagnostic.span.line == 11  # class Top
    assert diagnostic.message.startswith("in `run_remote` inherited from ")
    assert diagnostic.related and diagnostic.related[0].path.endswith("base.py")


def test_inherited_call_in_same_file_is_reported_once(tmp_path: Path) -> None:
    source = """
import truss_chains as chains


class Dep(chains.ChainletBase):
    async def run_remote(self, x: str) -> str:
        return x


class Base(chains.ChainletBase):
    def __init__(self, dep: Dep = chains.depends(Dep)) -> None:
        self._dep = dep

    async def run_remote(self, x: str) -> str:
        return self._dep.run_remote(x)


@chains.mark_entrypoint
class Top(Base):
    pass
"""
    found = _found(tmp_path, source)
    assert [(d.code, d.span.line) for d in found] == [("CH501", 14)]


def test_base_checked_against_the_subclass_dependency(tmp_path: Path) -> None:
    source = """
import truss_chains as chains


class Fast(chains.ChainletBase):
    async def run_remote(self, x: str) -> str:
        return x


class Slow(chains.ChainletBase):
    def run_remote(self, x: str) -> str:
        return x


class Base(chains.ChainletBase):
    def __init__(self, dep: Fast = chains.depends(Fast)) -> None:
        self._dep = dep

    async def run_remote(self, x: str) -> str:
        return await self._dep.run_remote(x)


@chains.mark_entrypoint
class Top(Base):
    def __init__(self, dep: Slow = chains.depends(Slow)) -> None:
        self._dep = dep
"""
    found = _found(tmp_path, source)
    # Base awaits the async Fast: fine. Top inherits the await but injects the sync Slow.
    assert [(d.code, d.span.line) for d in found] == [("CH502", 19)]


def test_base_in_linted_file_reports_it_there(tmp_path: Path) -> None:
    base = _BASE.replace(
        "class Base(chains.ChainletBase):\n",
        "class Dep(chains.ChainletBase):\n    async def run_remote(self, x: str) -> str:\n"
        "        return x\n\n\nclass Base(chains.ChainletBase):\n"
        "    def __init__(self, dep: Dep = chains.depends(Dep)) -> None:\n"
        "        self._dep = dep\n\n",
    )
    sub = """
import truss_chains as chains
from base import Base


@chains.mark_entrypoint
class Top(Base):
    pass
"""
    write_files(tmp_path, {"chain.py": sub, "base.py": base})
    result = lint_files([tmp_path / "chain.py", tmp_path / "base.py"], Config())
    found = [d for d in result.diagnostics if d.code.startswith("CH5")]
    assert [(Path(d.span.path).name, d.code) for d in found] == [("base.py", "CH501")]


def test_noqa_suppresses(tmp_path: Path) -> None:
    body = "self._dep.run_remote('a')  # noqa: CH501\nreturn ''"
    assert _codes(tmp_path, body) == []


def test_sync_result_passed_to_an_awaited_function_is_fine(tmp_path: Path) -> None:
    body = "return await self._store(self._dep.run_remote('a'))"
    extra = """
    async def _store(self, text: str) -> str:
        return text
    """
    assert _codes(tmp_path, body, "sync", extra) == []
    assert _codes(tmp_path, "return await save(self._dep.run_remote('a'))", "sync") == []


def test_project_runtime_sdk_is_understood_too(tmp_path: Path) -> None:
    source = CONCEPT_GUIDE_HELLO_ALL.replace(
        "import truss_chains as chains", "from chains_runtime import ChainletBase, depends"
    ).replace("chains.ChainletBase", "ChainletBase").replace("chains.depends", "depends")
    assert [d.code for d in _found(tmp_path, source)] == ["CH501"]
