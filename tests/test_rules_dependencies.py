"""Dependency rules (CH401-CH414), linted for real from files written to a temp folder."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from chains_lint.analysis import analyse
from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.linter import lint_files
from chains_lint.rules import dependencies, entrypoint
from chains_lint.rules.base import Profile, RuleContext
from chains_lint.rules.dependencies.depends_option_rules import DependsOptionNotLiteralRule
from tests.lint_helpers import codes, lint_text, write_files

HEADER = "import truss_chains as chains\n"

SAY_HELLO = """

class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""


def entry(init_params: str, *, name: str = "HelloAll", body: str = "pass") -> str:
    """An entrypoint chainlet whose ``__init__`` takes ``init_params`` after self."""
    return f"""

@chains.mark_entrypoint
class {name}(chains.ChainletBase):
    def __init__(self, {init_params}) -> None:
        {body}

    async def run_remote(self, names: list[str]) -> str:
        return ""
"""


def hello_with(init_params: str, header: str = HEADER, extra: str = "") -> str:
    return header + extra + SAY_HELLO + entry(init_params)


def only(diagnostics: list[Diagnostic], code: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.code == code]


def line_of(source: str, needle: str, occurrence: int = 1) -> int:
    hits = [i for i, line in enumerate(source.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def lint_many(
    folder: Path, files: Mapping[str, str], linted: Sequence[str], profile: Profile = "default"
) -> list[Diagnostic]:
    write_files(folder, files)
    config = Config(profile=profile)
    return lint_files([folder / name for name in linted], config).diagnostics


def test_correct_dependency_forms_are_clean(tmp_path: Path) -> None:
    source = hello_with(
        "say_hello: SayHello = chains.depends(SayHello, 2, 30.0, True, 10),\n"
        "        context: chains.DeploymentContext = chains.depends_context()",
    )
    assert lint_text(tmp_path, source) == []


@pytest.mark.parametrize(
    ("header", "depends", "context"),
    [
        ("from truss_chains import depends as dep, depends_context as ctx\n"
         "import truss_chains as chains\n", "dep", "ctx"),
        ("import truss_chains\nimport truss_chains as chains\n", "truss_chains.depends",
         "truss_chains.depends_context"),
        ("import chains_runtime as chains\n", "chains.depends", "chains.depends_context"),
    ],
)
def test_aliased_sdk_imports(tmp_path: Path, header: str, depends: str, context: str) -> None:
    good = hello_with(
        f"say_hello: SayHello = {depends}(SayHello, retries=2),\n"
        f"        context: chains.DeploymentContext = {context}()",
        header=header,
    )
    assert lint_text(tmp_path, good) == []
    bad = hello_with(f"say_hello=None, other={depends}(SayHelo, retry=1)", header=header)
    found = codes(lint_text(tmp_path, bad))
    assert {"CH401", "CH405", "CH407"} <= set(found)


# -- CH401 depends-target-undefined ---------------------------------------------


def test_undefined_target_with_suggestion(tmp_path: Path) -> None:
    source = hello_with("say_hello=chains.depends(SayHelo)")
    found = only(lint_text(tmp_path, source), "CH401")
    assert len(found) == 1
    assert found[0].message == "`SayHelo` is not defined; did you mean `SayHello`?"
    assert found[0].span.column == source.splitlines()[found[0].span.line - 1].index("SayHelo") + 1


def test_undefined_target_without_suggestion(tmp_path: Path) -> None:
    found = only(lint_text(tmp_path, hello_with("x=chains.depends(Zebra)")), "CH401")
    assert len(found) == 1 and "did you mean" not in found[0].message


def test_undefined_attribute_of_local_module(tmp_path: Path) -> None:
    files = {
        "lib.py": HEADER + SAY_HELLO,
        "chain.py": hello_with("x=chains.depends(lib.SayHallo)", extra="import lib\n")
        .replace(SAY_HELLO, ""),
    }
    found = only(lint_text(tmp_path, files), "CH401")
    assert len(found) == 1
    assert found[0].message == (
        "`lib.SayHallo` is not defined in `lib`; did you mean `lib.SayHello`?"
    )


def test_suggestion_from_another_module_says_to_import_it(tmp_path: Path) -> None:
    files = {
        "lib.py": HEADER + SAY_HELLO,
        "chain.py": HEADER + "import lib\n" + entry("x=chains.depends(SayHello)"),
    }
    found = only(lint_text(tmp_path, files), "CH401")
    assert len(found) == 1
    assert "import it with `from lib import SayHello`" in found[0].message


def test_star_import_and_external_modules_are_not_guessed(tmp_path: Path) -> None:
    files = {
        "lib.py": HEADER + SAY_HELLO,
        "chain.py": HEADER + "from lib import *\nimport installed_pkg\n"
        + entry("a=chains.depends(SayHello), b=chains.depends(installed_pkg.Thing)"),
    }
    assert not {"CH401", "CH402"} & set(codes(lint_text(tmp_path, files)))


# -- CH402 depends-target-not-chainlet --------------------------------------------


@pytest.mark.parametrize(
    ("target", "what"),
    [
        ("Plain", "a class that does not derive from `ChainletBase`"),
        ("helper", "a function"),
        ("int", "a builtin"),
        ("chains.ChainletBase", "the SDK's `ChainletBase`"),
        ("SETTING", "a variable"),
    ],
)
def test_target_that_is_not_a_chainlet(tmp_path: Path, target: str, what: str) -> None:
    extra = "\nSETTING = 3\n\n\nclass Plain:\n    pass\n\n\ndef helper() -> None:\n    pass\n"
    source = hello_with(f"x=chains.depends({target})", extra=extra)
    found = only(lint_text(tmp_path, source), "CH402")
    assert len(found) == 1
    assert f"`{target}` is {what}" in found[0].message


def test_target_with_unknown_base_is_not_reported(tmp_path: Path) -> None:
    extra = "from installed_pkg import Base\n\n\nclass Maybe(Base):\n    pass\n"
    source = hello_with("x=chains.depends(Maybe)", extra=extra)
    assert "CH402" not in codes(lint_text(tmp_path, source))


def test_target_imported_from_local_module_is_resolved(tmp_path: Path) -> None:
    files = {
        "helpers.py": "class Plain:\n    pass\n",
        "chain.py": HEADER + "from helpers import Plain\n" + entry("x=chains.depends(Plain)"),
    }
    assert codes(lint_text(tmp_path, files)).count("CH402") == 1


# -- CH403 depends-target-invalid ----------------------------------------------------


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        ("chains.depends()", "names no chainlet"),
        ('chains.depends("SayHello")', "write `depends(SayHello)`"),
        ("chains.depends(pick())", "got `pick()`"),
        ("chains.depends(*CLASSES)", "unpacks"),
        ("chains.depends(retries=2)", "names no chainlet"),
    ],
)
def test_invalid_target(tmp_path: Path, call: str, expected: str) -> None:
    extra = "CLASSES = []\n\n\ndef pick() -> type:\n    return object\n"
    found = only(lint_text(tmp_path, hello_with(f"x={call}", extra=extra)), "CH403")
    assert len(found) == 1
    assert expected in found[0].message


def test_target_by_keyword_is_fine(tmp_path: Path) -> None:
    source = hello_with("x: SayHello = chains.depends(chainlet_cls=SayHello)")
    assert lint_text(tmp_path, source) == []


# -- CH404 depends-outside-init -------------------------------------------------------


def test_depends_in_run_remote_default(tmp_path: Path) -> None:
    source = HEADER + SAY_HELLO + """

@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    async def run_remote(self, name: str, dep: SayHello = chains.depends(SayHello)) -> str:
        return name
"""
    found = only(lint_text(tmp_path, source), "CH404")
    assert len(found) == 1
    assert "in the default of `run_remote` parameter `dep`" in found[0].message


@pytest.mark.parametrize(
    ("snippet", "where"),
    [
        ("DEP = chains.depends(SayHello)\n", "at module level"),
        ("class Holder:\n    dep = chains.depends(SayHello)\n", "in the class body of `Holder`"),
        (
            "class Holder:\n    def __init__(self, dep=chains.depends(SayHello)) -> None:\n"
            "        self.dep = dep\n",
            "of `Holder`, which is not a chainlet",
        ),
        (
            "def make() -> None:\n    context = chains.depends_context()\n    print(context)\n",
            "inside the body of `make`",
        ),
    ],
)
def test_markers_in_other_places(tmp_path: Path, snippet: str, where: str) -> None:
    source = HEADER + SAY_HELLO + "\n\n" + snippet
    found = only(lint_text(tmp_path, source), "CH404")
    assert len(found) == 1
    assert where in found[0].message


def test_nested_marker_in_init_default(tmp_path: Path) -> None:
    source = hello_with("dep=list(chains.depends(SayHello))")
    found = lint_text(tmp_path, source)
    assert codes(found) == ["CH404"]  # not also CH405 for the same parameter
    assert "nested inside the default of `__init__` parameter `dep`" in found[0].message


def test_depends_context_in_method_body(tmp_path: Path) -> None:
    source = HEADER + """

class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        context = chains.depends_context()
        return str(context)
"""
    found = only(lint_text(tmp_path, source), "CH404")
    assert len(found) == 1
    assert "`chains.depends_context()` is used inside the body of `run_remote`" in (
        found[0].message
    )


def test_markers_in_inherited_chainlet_init_are_allowed(tmp_path: Path) -> None:
    source = HEADER + SAY_HELLO + """

class Base(chains.ChainletBase):
    def __init__(self, dep: SayHello = chains.depends(SayHello)) -> None:
        self._dep = dep


@chains.mark_entrypoint
class Hello(Base):
    async def run_remote(self, name: str) -> str:
        return await self._dep.run_remote(name)
"""
    assert "CH404" not in codes(lint_text(tmp_path, source))


# -- CH405 init-param-not-dependency ----------------------------------------------------


@pytest.mark.parametrize(
    ("params", "shown"),
    [
        ('model: str = "gpt2"', "model"),
        ("model", "model"),
        ("*args", "*args"),
        ("**kwargs", "**kwargs"),
        ("*, limit: int = 3", "limit"),
    ],
)
def test_other_init_params(tmp_path: Path, params: str, shown: str) -> None:
    found = only(lint_text(tmp_path, hello_with(params)), "CH405")
    assert len(found) == 1
    assert f"parameter `{shown}` is neither a dependency nor `context`" in found[0].message


def test_former_provide_marker_is_named(tmp_path: Path) -> None:
    found = only(lint_text(tmp_path, hello_with("dep: SayHello = chains.provide(SayHello)")),
                 "CH405")
    assert len(found) == 1
    assert "defaults to `provide(...)`" in found[0].message
    assert "gave `depends()`" in found[0].message


def test_param_span_is_the_parameter(tmp_path: Path) -> None:
    source = hello_with('dep: SayHello = chains.depends(SayHello), model: str = "x"')
    found = only(lint_text(tmp_path, source), "CH405")
    line = source.splitlines()[found[0].span.line - 1]
    assert line[found[0].span.column - 1:].startswith("model: str")


# -- CH406 context-param-invalid ----------------------------------------------------------

CTX = "context: chains.DeploymentContext = chains.depends_context()"


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (f"{CTX}, dep: SayHello = chains.depends(SayHello)", "must be the last"),
        (f"{CTX}, ctx2=chains.depends_context()", "second context parameter"),
        ("ctx: chains.DeploymentContext = chains.depends_context()", "named `ctx`"),
        ("context: chains.DeploymentContext = None", "must default to `depends_context()`"),
        ("context: SayHello = chains.depends(SayHello)", "reserved for the deployment context"),
        ("context: dict = chains.depends_context()", "annotated `dict`"),
        ("context: SayHello = chains.depends_context()", "annotated `SayHello`"),
    ],
)
def test_context_problems(tmp_path: Path, params: str, expected: str) -> None:
    found = only(lint_text(tmp_path, hello_with(params)), "CH406")
    assert [expected in d.message for d in found] == [True]


def test_former_provide_context_marker_is_named(tmp_path: Path) -> None:
    params = "context: chains.DeploymentContext = chains.provide_context()"
    found = only(lint_text(tmp_path, hello_with(params)), "CH406")
    assert len(found) == 1
    assert "must default to `depends_context()`" in found[0].message
    assert "`provide_context()` is the name early truss_chains versions gave" in found[0].message


def test_context_before_kwargs_is_only_reported_for_kwargs(tmp_path: Path) -> None:
    found = lint_text(tmp_path, hello_with(f"{CTX}, **kwargs"))
    assert codes(found) == ["CH405"]


@pytest.mark.parametrize(
    "params",
    [
        "context=chains.depends_context()",
        'context: "chains.DeploymentContext" = chains.depends_context()',
        "*, context: chains.DeploymentContext = chains.depends_context()",
        "context: installed.Ctx = chains.depends_context()",
    ],
)
def test_context_forms_that_are_fine(tmp_path: Path, params: str) -> None:
    source = hello_with(params, extra="import installed\n")
    assert "CH406" not in codes(lint_text(tmp_path, source))


# -- CH407 depends-unknown-option ------------------------------------------------------------


def test_unknown_option_with_suggestion(tmp_path: Path) -> None:
    source = hello_with("dep=chains.depends(SayHello, timeout=30)")
    found = only(lint_text(tmp_path, source), "CH407")
    assert len(found) == 1
    assert found[0].message == "`depends` has no option `timeout`; did you mean `timeout_sec`?"
    line = source.splitlines()[found[0].span.line - 1]
    assert line[found[0].span.column - 1:found[0].span.end_column - 1] == "timeout"


def test_unknown_option_without_suggestion(tmp_path: Path) -> None:
    found = only(lint_text(tmp_path, hello_with("dep=chains.depends(SayHello, gpu=1)")), "CH407")
    assert len(found) == 1
    assert "its options are `retries`, `timeout_sec`" in found[0].message


def test_too_many_positional_arguments(tmp_path: Path) -> None:
    source = hello_with("dep=chains.depends(SayHello, 1, 2.0, False, 4, 5)")
    found = only(lint_text(tmp_path, source), "CH407")
    assert len(found) == 1 and "at most 5 positional arguments" in found[0].message


@pytest.mark.parametrize(
    "call",
    ["chains.depends(SayHello, 3, retries=2)", "chains.depends(SayHello, chainlet_cls=SayHello)"],
)
def test_option_given_twice(tmp_path: Path, call: str) -> None:
    found = only(lint_text(tmp_path, hello_with(f"dep={call}")), "CH407")
    assert len(found) == 1 and "given twice" in found[0].message


# -- CH408 depends-option-invalid / CH409 depends-option-not-literal ----------------------------


@pytest.mark.parametrize(
    "option",
    [
        "retries=-1", "retries=1.5", "retries=True", 'retries="3"', "retries=None",
        "timeout_sec=0", "timeout_sec=-2.5", "timeout_sec=False", 'timeout_sec="60"',
        "concurrency_limit=0", "concurrency_limit=2.0",
        "use_binary=1", 'use_binary="yes"',
    ],
)
def test_invalid_option_values(tmp_path: Path, option: str) -> None:
    source = hello_with(f"dep=chains.depends(SayHello, {option})")
    found = only(lint_text(tmp_path, source), "CH408")
    assert len(found) == 1
    name, value = option.split("=")
    assert found[0].message.startswith(f"`{name}` must be")
    assert f"got `{value}`" in found[0].message


def test_invalid_positional_option(tmp_path: Path) -> None:
    found = only(lint_text(tmp_path, hello_with("dep=chains.depends(SayHello, 3, 0)")), "CH408")
    assert len(found) == 1 and found[0].message.startswith("`timeout_sec` must be")


@pytest.mark.parametrize(
    "option",
    ["retries=0", "retries=5", "timeout_sec=0.5", "timeout_sec=60", "concurrency_limit=1",
     "use_binary=True", "retries=RETRIES"],
)
def test_valid_option_values(tmp_path: Path, option: str) -> None:
    source = hello_with(f"dep=chains.depends(SayHello, {option})", extra="RETRIES = 4\n")
    assert lint_text(tmp_path, source) == []


def test_non_literal_option_is_a_warning(tmp_path: Path) -> None:
    source = hello_with(
        "dep=chains.depends(SayHello, timeout_sec=settings.TIMEOUT)", extra="import settings\n"
    )
    found = lint_text(tmp_path, source)
    assert codes(found) == ["CH409"]
    assert found[0].severity is Severity.WARNING
    assert "`timeout_sec=settings.TIMEOUT` is not a literal" in found[0].message


def test_non_literal_option_quotes_a_short_one_line_excerpt(tmp_path: Path) -> None:
    option = (
        "dep=chains.depends(\n"
        "            SayHello,\n"
        "            retries=int(\n"
        '                os.environ.get("CHAIN_RETRIES_FOR_SAY_HELLO", "3")\n'
        "            ),\n"
        "        )"
    )
    main = write_files(tmp_path, hello_with(option, extra="import os\n"))
    analysis = analyse([main])
    target = analysis.targets[0]
    ctx = RuleContext(target.module, target.model, analysis, "default")
    (found,) = DependsOptionNotLiteralRule().check(ctx)
    assert found.message.startswith('`retries=int( os.environ.get("CHAIN_RETRIES_FO...` is not a')
    assert "\n" not in found.message


# -- CH410 dependency-cycle ---------------------------------------------------------------------


def test_self_dependency(tmp_path: Path) -> None:
    source = HEADER + """

class Loop(chains.ChainletBase):
    def __init__(self, me: "Loop" = chains.depends(Loop)) -> None:
        self._me = me

    async def run_remote(self, n: int) -> int:
        return n
"""
    found = only(lint_text(tmp_path, source), "CH410")
    assert len(found) == 1
    assert "`Loop` depends on itself (`Loop -> Loop`)" in found[0].message
    assert "CH414" not in codes(lint_text(tmp_path, source))


def _cycle_module(name: str, dep_expr: str, imports: str = "") -> str:
    return HEADER + imports + f"""

class {name}(chains.ChainletBase):
    def __init__(self, dep=chains.depends({dep_expr})) -> None:
        self._dep = dep

    async def run_remote(self, n: int) -> int:
        return n
"""


def test_cycle_across_three_files_is_reported_once_at_the_first_local_chainlet(
    tmp_path: Path,
) -> None:
    files = {
        "chain.py": _cycle_module("Beta", "gamma.Gamma", "import gamma\n")
        + "\n\n" + _cycle_module("Alpha", "Beta").replace(HEADER, "").replace(
            "class Alpha", "@chains.mark_entrypoint\nclass Alpha"
        ),
        "gamma.py": _cycle_module("Gamma", "chain.Alpha", "import chain\n"),
    }
    found = only(lint_text(tmp_path, files), "CH410")
    assert len(found) == 1
    assert "`Alpha -> Beta -> Gamma -> Alpha`" in found[0].message
    alpha_depends = line_of(files["chain.py"], "chains.depends(Beta)")
    assert found[0].span.line == alpha_depends
    assert len(found[0].related) == 2


def test_cycle_reported_in_each_linted_file_of_it(tmp_path: Path) -> None:
    files = {
        "chain.py": _cycle_module("Ping", "pong.Pong", "import pong\n"),
        "pong.py": _cycle_module("Pong", "chain.Ping", "import chain\n"),
    }
    found = only(lint_many(tmp_path, files, ["chain.py", "pong.py"]), "CH410")
    assert sorted(Path(d.span.path).name for d in found) == ["chain.py", "pong.py"]
    assert {d.message.split("`")[1] for d in found} == {"Ping -> Pong -> Ping",
                                                         "Pong -> Ping -> Pong"}


def test_cycle_outside_the_linted_module_is_not_reported_here(tmp_path: Path) -> None:
    files = {
        "chain.py": HEADER + "import ping\n" + entry("p=chains.depends(ping.Ping)"),
        "ping.py": _cycle_module("Ping", "pong.Pong", "import pong\n"),
        "pong.py": _cycle_module("Pong", "ping.Ping", "import ping\n"),
    }
    assert "CH410" not in codes(lint_text(tmp_path, files))


def test_diamond_is_not_a_cycle(tmp_path: Path) -> None:
    source = HEADER + SAY_HELLO + """

class Left(chains.ChainletBase):
    def __init__(self, s: SayHello = chains.depends(SayHello)) -> None:
        self._s = s

    async def run_remote(self, n: int) -> int:
        return n


class Right(chains.ChainletBase):
    def __init__(self, s: SayHello = chains.depends(SayHello)) -> None:
        self._s = s

    async def run_remote(self, n: int) -> int:
        return n
""" + entry("left: Left = chains.depends(Left), right: Right = chains.depends(Right)")
    assert lint_text(tmp_path, source) == []


# -- CH411 chainlet-instantiated -----------------------------------------------------------------


def test_instantiation_in_init(tmp_path: Path) -> None:
    source = HEADER + SAY_HELLO + entry("", body="self._hello = SayHello()")
    found = only(lint_text(tmp_path, source), "CH411")
    assert len(found) == 1
    assert "`SayHello` is instantiated directly" in found[0].message
    assert "`say_hello: SayHello = chains.depends(SayHello)`" in found[0].message


def test_instantiation_of_imported_chainlet_at_module_level(tmp_path: Path) -> None:
    files = {
        "lib.py": HEADER + SAY_HELLO,
        "chain.py": HEADER + "import lib\nfrom lib import SayHello as Hi\n\nA = lib.SayHello()\n"
        "B = Hi()\n",
    }
    assert codes(lint_text(tmp_path, files)).count("CH411") == 2


@pytest.mark.parametrize(
    "with_header",
    ["with chains.run_local():", "with run_local(secrets={'k': 'v'}) as ctx, open('f'):"],
)
def test_instantiation_inside_run_local_is_fine(tmp_path: Path, with_header: str) -> None:
    source = hello_with("say_hello: SayHello = chains.depends(SayHello)",
                        extra="from truss_chains import run_local\n") + f"""

if __name__ == "__main__":
    {with_header}
        hello_all = HelloAll()
        hello_all.run_remote(["a"])
    print("done")
"""
    assert "CH411" not in codes(lint_text(tmp_path, source))


def test_instantiation_after_run_local_block_is_reported(tmp_path: Path) -> None:
    source = HEADER + SAY_HELLO + """

with chains.run_local():
    first = SayHello()
second = SayHello()
"""
    found = only(lint_text(tmp_path, source), "CH411")
    assert [d.span.line for d in found] == [line_of(source, "second = SayHello()")]


@pytest.mark.parametrize(
    "rebinding",
    [
        "from engine_lib import SayHello",
        "import engine_lib as SayHello",
        "SayHello = make_engine",
        "for SayHello in (make_engine,):\n            pass",
    ],
)
def test_name_rebound_in_the_function_is_not_the_chainlet(tmp_path: Path, rebinding: str) -> None:
    # A local import (or assignment) of the same name shadows the chainlet in that function.
    body = f"{rebinding}\n        self._engine = SayHello()"
    source = HEADER + "from engine_lib import make_engine\n" + SAY_HELLO + entry("", body=body)
    assert "CH411" not in codes(lint_text(tmp_path, source))


def test_rebinding_in_another_function_does_not_hide_the_instantiation(tmp_path: Path) -> None:
    source = HEADER + SAY_HELLO + entry("", body="self._hello = SayHello()") + """

def helper() -> None:
    from engine_lib import SayHello
    SayHello()
"""
    found = only(lint_text(tmp_path, source), "CH411")
    assert [d.span.line for d in found] == [line_of(source, "self._hello = SayHello()")]


def test_global_declaration_is_not_a_local_binding(tmp_path: Path) -> None:
    source = HEADER + SAY_HELLO + """

def make() -> None:
    global SayHello
    created = SayHello()
"""
    assert codes(lint_text(tmp_path, source)).count("CH411") == 1


# -- CH412 duplicate-dependency (truss) ------------------------------------------------------------


def test_duplicate_dependency_in_truss_profile(tmp_path: Path) -> None:
    source = hello_with("a=chains.depends(SayHello), b=chains.depends(SayHello, retries=2)")
    found = only(lint_text(tmp_path, source, profile="truss"), "CH412")
    assert len(found) == 1
    assert "already injected as `a`" in found[0].message
    assert "CH412" not in codes(lint_text(tmp_path, source, profile="default"))


# -- CH413 dependency-annotation-mismatch --------------------------------------------------------


def test_annotation_naming_another_chainlet(tmp_path: Path) -> None:
    other = SAY_HELLO.replace("SayHello", "SayBye")
    source = HEADER + SAY_HELLO + other + entry('dep: "SayBye" = chains.depends(SayHello)')
    found = only(lint_text(tmp_path, source), "CH413")
    assert len(found) == 1
    assert "annotated `\"SayBye\"` but `depends` injects `SayHello`" in found[0].message


@pytest.mark.parametrize("annotation", ["Base", "SayHello", "typing.Any", "Greeter"])
def test_compatible_annotations(tmp_path: Path, annotation: str) -> None:
    source = HEADER + "import typing\n" + """

class Greeter(typing.Protocol):
    async def run_remote(self, name: str) -> str: ...


class Base(chains.ChainletBase):
    pass


class SayHello(Base):
    async def run_remote(self, name: str) -> str:
        return name
""" + entry(f"dep: {annotation} = chains.depends(SayHello)")
    assert "CH413" not in codes(lint_text(tmp_path, source))


# -- CH414 depends-before-definition ---------------------------------------------------------------


def test_dependency_defined_later_in_the_file(tmp_path: Path) -> None:
    source = HEADER + entry('dep: "SayHello" = chains.depends(SayHello)') + SAY_HELLO
    found = only(lint_text(tmp_path, source), "CH414")
    assert len(found) == 1
    assert "`SayHello` is defined below `HelloAll`" in found[0].message
    assert found[0].related[0].line == line_of(source, "class SayHello")


def test_cycle_through_an_inherited_init_points_at_the_class(tmp_path: Path) -> None:
    files = {
        "base.py": HEADER + "import chain\n" + """

class Base(chains.ChainletBase):
    def __init__(self, dep=chains.depends(chain.Sub)) -> None:
        self._dep = dep
""",
        "chain.py": HEADER + "import base\n" + """

class Sub(base.Base):
    async def run_remote(self, n: int) -> int:
        return n
""",
    }
    found = only(lint_text(tmp_path, files), "CH410")
    assert len(found) == 1
    assert Path(found[0].span.path).name == "chain.py"
    assert found[0].span.line == line_of(files["chain.py"], "class Sub")
    assert "`Sub` depends on itself" in found[0].message


# -- speed: a clean file never needs positions ----------------------------------------------------


def test_clean_file_does_not_compute_positions(tmp_path: Path) -> None:
    # Reading a span's line computes positions for the whole file; rules that find
    # nothing must not pay for that (source order comes from the tree instead).
    source = HEADER + SAY_HELLO + """

class SayBye(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Bye, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(
        self,
        hello: SayHello = chains.depends(SayHello, retries=2),
        bye: SayBye = chains.depends(SayBye),
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        self._names = [hello, bye]

    async def run_remote(self, names: list[str]) -> str:
        return ""


if __name__ == "__main__":
    with chains.run_local():
        HelloAll()
"""
    analysis = analyse([write_files(tmp_path, source)])
    target = analysis.targets[0]
    assert not target.module.positions_computed
    ctx = RuleContext(target.module, target.model, analysis, "truss")
    for rule in (*entrypoint.RULES, *dependencies.RULES):
        assert list(rule().check(ctx)) == []
    assert not target.module.positions_computed
