"""The dependency-call model: which calls are found and how their results are used."""

from __future__ import annotations

import textwrap
from pathlib import Path

import libcst as cst
import pytest

from chains_lint.analysis import analyse
from chains_lint.model.dependency_calls.function_index import function_index
from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import Chainlet, DependencyCall
from tests.lint_helpers import write_files

_TEMPLATE = """
import asyncio
import truss_chains as chains


class Dep(chains.ChainletBase):
    async def run_remote(self, x: str) -> str:
        return x


@chains.mark_entrypoint
class Top(chains.ChainletBase):
    def __init__(self, dep: Dep = chains.depends(Dep)) -> None:
        self._dep = dep

    async def run_remote(self, xs: list[str]) -> str:
BODY
EXTRA
"""


def _chain(body: str, extra: str = "") -> str:
    indent = " " * 8
    text = _TEMPLATE.replace("BODY", textwrap.indent(textwrap.dedent(body).strip("\n"), indent))
    return text.replace("EXTRA", textwrap.indent(textwrap.dedent(extra).strip("\n"), "    "))


def _chainlet(tmp_path: Path, files: str | dict[str, str], name: str = "Top") -> Chainlet:
    main = write_files(tmp_path, files)
    analysis = analyse([main])
    model = analysis.targets[0].model
    for chainlet in model.chainlets.values():
        if chainlet.name == name:
            return chainlet
    raise AssertionError(f"no chainlet {name}")


def _calls(tmp_path: Path, body: str, extra: str = "") -> list[DependencyCall]:
    return list(_chainlet(tmp_path, _chain(body, extra)).dependency_calls)


def _contexts(tmp_path: Path, body: str, extra: str = "") -> list[tuple[str, str | None]]:
    return [(c.context, c.holder) for c in _calls(tmp_path, body, extra)]


CASES: list[tuple[str, str, list[tuple[str, str | None]]]] = [
    ("await", "return await self._dep.run_remote('a')", [("await", None)]),
    (
        "await in expression",
        "return (await self._dep.run_remote('a')) + '!'",
        [("await", None)],
    ),
    (
        "async comprehension",
        "return ''.join([await self._dep.run_remote(x) for x in xs])",
        [("await", None)],
    ),
    (
        "gather of a starred list comprehension",
        "return ''.join(await asyncio.gather(*[self._dep.run_remote(x) for x in xs]))",
        [("scheduled", None)],
    ),
    (
        "gather of a starred generator",
        "return ''.join(await asyncio.gather(*(self._dep.run_remote(x) for x in xs)))",
        [("scheduled", None)],
    ),
    (
        "gather of direct calls",
        """
        a, b = await asyncio.gather(self._dep.run_remote("a"), self._dep.run_remote("b"))
        return a + b
        """,
        [("scheduled", None), ("scheduled", None)],
    ),
    (
        "create_task list then gather",
        """
        tasks = [asyncio.create_task(self._dep.run_remote(x)) for x in xs]
        return ''.join(await asyncio.gather(*tasks))
        """,
        [("scheduled", None)],
    ),
    (
        "task group",
        """
        async with asyncio.TaskGroup() as tg:
            task = tg.create_task(self._dep.run_remote("x"))
        return task.result()
        """,
        [("scheduled", None)],
    ),
    (
        "wait_for, shield, ensure_future",
        """
        a = await asyncio.wait_for(self._dep.run_remote("a"), timeout=5)
        b = await asyncio.shield(self._dep.run_remote("b"))
        c = await asyncio.ensure_future(self._dep.run_remote("c"))
        return a + b + c
        """,
        [("scheduled", None)] * 3,
    ),
    (
        "asyncio.wait over a list",
        """
        done, _ = await asyncio.wait([asyncio.ensure_future(self._dep.run_remote(x)) for x in xs])
        return str(len(done))
        """,
        [("scheduled", None)],
    ),
    (
        "as_completed",
        """
        out = []
        for next_done in asyncio.as_completed([self._dep.run_remote(x) for x in xs]):
            out.append(await next_done)
        return ''.join(out)
        """,
        [("scheduled", None)],
    ),
    (
        "stored then awaited",
        """
        pending = self._dep.run_remote("a")
        return await pending
        """,
        [("stored_consumed", "pending")],
    ),
    (
        "appended then gathered",
        """
        coros = []
        for x in xs:
            coros.append(self._dep.run_remote(x))
        return ''.join(await asyncio.gather(*coros))
        """,
        [("stored_consumed", "coros")],
    ),
    (
        "comprehension then awaited one by one",
        """
        coros = [self._dep.run_remote(x) for x in xs]
        return ''.join([await c for c in coros])
        """,
        [("stored_consumed", "coros")],
    ),
    (
        "list then for loop awaiting",
        """
        coros = [self._dep.run_remote(x) for x in xs]
        out = ""
        for coro in coros:
            out += await coro
        return out
        """,
        [("stored_consumed", "coros")],
    ),
    (
        "extend then gathered",
        """
        coros = []
        coros.extend(self._dep.run_remote(x) for x in xs)
        return ''.join(await asyncio.gather(*coros))
        """,
        [("stored_consumed", "coros")],
    ),
    (
        "augmented assignment then gathered",
        """
        coros = []
        coros += [self._dep.run_remote("a")]
        return ''.join(await asyncio.gather(*coros))
        """,
        [("stored_consumed", "coros")],
    ),
    (
        "dict then gather of values",
        """
        by_name = {x: self._dep.run_remote(x) for x in xs}
        results = await asyncio.gather(*by_name.values())
        return ''.join(results)
        """,
        [("stored_consumed", "by_name")],
    ),
    (
        "dict items awaited in a loop",
        """
        by_name = {x: self._dep.run_remote(x) for x in xs}
        out = {}
        for name, coro in by_name.items():
            out[name] = await coro
        return str(out)
        """,
        [("stored_consumed", "by_name")],
    ),
    (
        "subscript store then gather",
        """
        by_name = {}
        for x in xs:
            by_name[x] = self._dep.run_remote(x)
        return ''.join(await asyncio.gather(*by_name.values()))
        """,
        [("stored_consumed", "by_name")],
    ),
    (
        "zip in a loop",
        """
        coros = [self._dep.run_remote(x) for x in xs]
        out = ""
        for x, coro in zip(xs, coros):
            out += x + await coro
        return out
        """,
        [("stored_consumed", "coros")],
    ),
    (
        "element awaited by index",
        """
        coros = [self._dep.run_remote(x) for x in xs]
        return await coros[0]
        """,
        [("stored_consumed", "coros")],
    ),
    (
        "walrus then awaited",
        """
        if (pending := self._dep.run_remote("a")) is not None:
            return await pending
        return ""
        """,
        [("stored_consumed", "pending")],
    ),
    (
        "concept guide HelloAll",
        """
        output = []
        for name in xs:
            output.append(self._dep.run_remote(name))
        return "\\n".join(output)
        """,
        [("stored_unconsumed", "output")],
    ),
    (
        "stored and printed",
        """
        pending = self._dep.run_remote("a")
        print(pending)
        return "done"
        """,
        [("stored_unconsumed", "pending")],
    ),
    (
        "list returned from run_remote",
        """
        coros = [self._dep.run_remote(x) for x in xs]
        return coros
        """,
        [("stored_unconsumed", "coros")],
    ),
    ("returned", "return self._dep.run_remote('a')", [("returned", "run_remote")]),
    ("discarded", "self._dep.run_remote('a')\nreturn ''", [("discarded", None)]),
    ("f-string", "return f\"{self._dep.run_remote('a')}\"", [("value", None)]),
    ("binary operation", "return self._dep.run_remote('a') + '!'", [("value", None)]),
    ("print argument", "print(self._dep.run_remote('a'))\nreturn ''", [("value", None)]),
    (
        "join of a list",
        "return '\\n'.join([self._dep.run_remote(x) for x in xs])",
        [("value", None)],
    ),
    ("attribute of the coroutine", "return self._dep.run_remote('a').upper()", [("value", None)]),
    (
        "for over a coroutine",
        "out = ''\nfor ch in self._dep.run_remote('a'):\n    out += ch\nreturn out",
        [("for", None)],
    ),
    (
        "async for over a call",
        "out = ''\nasync for ch in self._dep.run_remote('a'):\n    out += ch\nreturn out",
        [("async_for", None)],
    ),
    (
        "wrapper call that is awaited",
        "return await with_timeout(self._dep.run_remote('a'))",
        [("stored_consumed", None)],
    ),
    (
        "lambda",
        "return ''.join(await asyncio.gather(*map(lambda x: self._dep.run_remote(x), xs)))",
        [("stored_consumed", None)],
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_call_context(case: tuple[str, str, list[tuple[str, str | None]]], tmp_path: Path) -> None:
    _, body, expected = case
    assert _contexts(tmp_path, body) == expected


def test_import_aliases_of_asyncio_are_recognised(tmp_path: Path) -> None:
    source = _chain(
        """
        first = await aio.gather(*[self._dep.run_remote(x) for x in xs])
        second = await collect(self._dep.run_remote("b"))
        return ''.join(first) + second
        """
    ).replace("import asyncio\n", "import asyncio as aio\nfrom asyncio import gather as collect\n")
    chainlet = _chainlet(tmp_path, source)
    assert [c.context for c in chainlet.dependency_calls] == ["scheduled", "scheduled"]


def test_a_name_that_only_looks_like_gather_is_not_scheduling(tmp_path: Path) -> None:
    source = _chain(
        """
        gather(self._dep.run_remote("a"))
        return ""
        """,
        """
        def unused(self) -> None:
            pass
        """,
    ).replace("import asyncio\n", "import asyncio\n\n\ndef gather(item: object) -> None:\n"
              "    print(item)\n")
    chainlet = _chainlet(tmp_path, source)
    # ``gather`` here is a module function that never awaits its argument.
    assert [(c.context, c.holder) for c in chainlet.dependency_calls] == [("value", None)]


def test_helper_returning_a_coroutine_that_callers_await(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        "return ''.join(await asyncio.gather(*(self._one(x) for x in xs)))",
        """
        def _one(self, x: str):
            return self._dep.run_remote(x)
        """,
    )
    assert [(c.method, c.context, c.holder, c.method_is_async) for c in calls] == [
        ("_one", "stored_consumed", "_one()", False)
    ]


def test_helper_returning_a_coroutine_that_no_caller_awaits(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        "self._one('a')\nreturn ''",
        """
        def _one(self, x: str):
            return self._dep.run_remote(x)
        """,
    )
    assert [(c.context, c.holder) for c in calls] == [("returned", "_one")]


def test_coroutine_passed_to_a_helper_that_awaits_it(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        "return await self._retry(self._dep.run_remote('a'), attempts=2)",
        """
        async def _retry(self, coro, attempts: int) -> str:
            return await coro
        """,
    )
    assert [(c.context, c.holder) for c in calls] == [("stored_consumed", "coro")]


def test_coroutine_passed_to_a_helper_that_drops_it(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        "self._log(self._dep.run_remote('a'))\nreturn ''",
        """
        def _log(self, item) -> None:
            print(item)
        """,
    )
    assert [(c.context, c.holder) for c in calls] == [("value", None)]


def test_nested_function_results_gathered(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        """
        def one(x: str):
            return self._dep.run_remote(x)

        return ''.join(await asyncio.gather(*[one(x) for x in xs]))
        """,
    )
    assert [(c.context, c.holder) for c in calls] == [("stored_consumed", "one()")]


def test_nested_async_function_awaiting(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        """
        async def one(x: str) -> str:
            return await self._dep.run_remote(x)

        return ''.join(await asyncio.gather(*[one(x) for x in xs]))
        """,
    )
    assert [(c.context, c.method_is_async) for c in calls] == [("await", True)]


def test_self_attribute_holder_awaited_in_another_method(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        "self._pending = self._dep.run_remote('a')\nreturn await self._finish()",
        """
        async def _finish(self) -> str:
            return await self._pending
        """,
    )
    assert [(c.context, c.holder) for c in calls] == [("stored_consumed", "self._pending")]


def test_self_attribute_holder_never_awaited(tmp_path: Path) -> None:
    calls = _calls(tmp_path, "self._pending = self._dep.run_remote('a')\nreturn ''")
    assert [(c.context, c.holder) for c in calls] == [("stored_unconsumed", "self._pending")]


def test_local_alias_of_the_dependency(tmp_path: Path) -> None:
    calls = _calls(tmp_path, "dep = self._dep\nreturn await dep.run_remote('a')")
    assert [c.context for c in calls] == ["await"]


def test_alias_rebound_to_something_else_is_not_a_dependency(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        """
        dep = self._dep
        dep = object()
        return await dep.run_remote('a')
        """,
    )
    assert calls == []


def test_init_parameter_used_inside_init(tmp_path: Path) -> None:
    source = _chain("return ''").replace(
        "self._dep = dep\n", "self._dep = dep\n        dep.run_remote('warmup')\n"
    )
    calls = _chainlet(tmp_path, source).dependency_calls
    assert [(c.method, c.context, c.method_is_async) for c in calls] == [
        ("__init__", "discarded", False)
    ]


def test_attribute_reassigned_elsewhere_is_not_trusted(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        "return await self._dep.run_remote('a')",
        """
        def reset(self) -> None:
            self._dep = None
        """,
    )
    assert calls == []


def test_other_objects_with_run_remote_are_ignored(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        "other = make()\nreturn await other.run_remote('a') + await self.x.run_remote('b')",
    )
    assert calls == []


def test_arguments_are_recorded(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        """
        a = await self._dep.run_remote("a", x="b")
        b = await self._dep.run_remote(*xs)
        return a + b
        """,
    )
    first, second = calls
    assert [a.literal for a in first.args] == ["a"]
    assert [(k, v.literal) for k, v in first.kwargs] == [("x", "b")]
    assert not first.has_star_args
    assert second.has_star_args
    assert (first.span.line, first.span.column, first.span.end_column) == (16, 19, 51)
    assert first.dependency.param.name == "dep"


def test_sync_method_calling_with_asyncio_run(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        "return self._sync('a')",
        """
        def _sync(self, x: str) -> str:
            return asyncio.run(self._dep.run_remote(x))
        """,
    )
    assert [(c.context, c.method_is_async) for c in calls] == [("scheduled", False)]


def test_inherited_method_of_a_base_in_another_file(tmp_path: Path) -> None:
    files = {
        "chain.py": """
import truss_chains as chains
from base import Base


class Dep(chains.ChainletBase):
    async def run_remote(self, x: str) -> str:
        return x


@chains.mark_entrypoint
class Top(Base):
    def __init__(self, dep: Dep = chains.depends(Dep)) -> None:
        self._dep = dep
""",
        "base.py": """
import truss_chains as chains


class Base(chains.ChainletBase):
    async def run_remote(self, x: str) -> str:
        return self._dep.run_remote(x)
""",
    }
    chainlet = _chainlet(tmp_path, files)
    (call,) = chainlet.dependency_calls
    assert call.context == "returned"
    assert call.span.path.endswith("base.py")
    assert call.dependency.target_qualified == "chain.Dep"


def test_weird_code_does_not_crash(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        """
        x = y = self._dep.run_remote("a")
        [a, *rest] = [self._dep.run_remote(q) for q in xs]
        {**{}}
        del xs
        lambda: (yield)
        global g
        obj.attr = self._dep.run_remote("b")
        return await x
        """,
    )
    assert [c.context for c in calls] == ["stored_consumed", "stored_unconsumed", "stored_consumed"]


def test_chainlet_without_dependencies_has_no_calls(tmp_path: Path) -> None:
    chainlet = _chainlet(tmp_path, _chain("return ''"), name="Dep")
    assert chainlet.dependency_calls == ()


def test_async_helper_returning_an_unawaited_coroutine(tmp_path: Path) -> None:
    # ``await self._one(x)`` gives back the coroutine, which is then used as text.
    calls = _calls(
        tmp_path,
        "return await self._one('a')",
        """
        async def _one(self, x: str):
            return self._dep.run_remote(x)
        """,
    )
    assert [(c.context, c.holder) for c in calls] == [("returned", "_one")]


def test_async_helper_result_awaited_twice(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        "return await (await self._one('a'))",
        """
        async def _one(self, x: str):
            return self._dep.run_remote(x)
        """,
    )
    assert [(c.context, c.holder) for c in calls] == [("stored_consumed", "_one()")]


def test_async_generator_helper_yielding_coroutines(tmp_path: Path) -> None:
    calls = _calls(
        tmp_path,
        "out = ''\nasync for coro in self._each(xs):\n    out += await coro\nreturn out",
        """
        async def _each(self, xs: list[str]):
            for x in xs:
                yield self._dep.run_remote(x)
        """,
    )
    assert [(c.context, c.holder) for c in calls] == [("stored_consumed", "_each()")]


# ---------------------------------------------------------------------------
# Source order, the shared function index, and what the analysis leaves alone
# ---------------------------------------------------------------------------

_ORDER_CHAIN = """
import truss_chains as chains


class Dep(chains.ChainletBase):
    async def run_remote(self, x: int) -> int:
        return x


class Base(chains.ChainletBase):
    def __init__(self, dep: Dep = chains.depends(Dep)) -> None:
        self._dep = dep

    async def run_remote(self, x: int) -> int:
        return await self._dep.run_remote(1)

    def helper(self, flag: bool) -> object:
        return self._dep.run_remote(2) if self._dep.run_remote(3) else None

    async def run_remote(self, x: int) -> int:
        @decorate(self._dep.run_remote(4))
        def inner(y: object = self._dep.run_remote(5)) -> object:
            return self._dep.run_remote(6)

        return await self._dep.run_remote(7)


@chains.mark_entrypoint
class Top(Base):
    async def extra(self) -> None:
        await self._dep.run_remote(8)
        print(self._dep.greeting)
"""


def test_calls_are_in_source_order_across_methods_and_classes(tmp_path: Path) -> None:
    # ``run_remote`` is defined twice: the second definition counts, after ``helper``.
    chainlet = _chainlet(tmp_path, _ORDER_CHAIN)
    assert [c.args[0].text for c in chainlet.dependency_calls] == list("2345678")
    assert [c.span.line for c in chainlet.dependency_calls] == sorted(
        c.span.line for c in chainlet.dependency_calls
    )


def test_dependency_members_other_than_run_remote_are_found(tmp_path: Path) -> None:
    members = _chainlet(tmp_path, _ORDER_CHAIN).dependency_members
    assert [(a.name, a.method) for a in members] == [("greeting", "extra")]


def test_building_the_model_computes_no_positions(tmp_path: Path) -> None:
    main = write_files(tmp_path, _ORDER_CHAIN)
    (target,) = analyse([main]).targets
    assert target.model.chainlets["chain.Top"].dependency_calls
    assert not target.module.positions_computed


def test_function_index_lists_nodes_in_source_order(tmp_path: Path) -> None:
    source = textwrap.dedent(
        """
        @deco(a)
        def f(p, /, q=b, *r, s=c, **t) -> d:
            x = e if g else h
            f(k=m)
            try:
                pass
            except n as o:
                pass
            match v:
                case [w] if y:
                    pass
            class C(z, metaclass=u):
                pass
        """
    )
    function = cst.ensure_type(cst.parse_module(source).body[0], cst.FunctionDef)
    module = ModuleInfo(Path("f.py"), "f", "f.py", source)
    index = function_index(module, function)

    class _Names(cst.CSTVisitor):
        def __init__(self) -> None:
            self.names: list[str] = []

        def visit_Name(self, node: cst.Name) -> None:
            self.names.append(node.value)

    visitor = _Names()
    function.visit(visitor)
    in_index = [n.value for n in index.nodes if isinstance(n, cst.Name)]
    assert in_index == visitor.names
    assert index.nodes[0] is function
    assert function_index(module, function) is index
