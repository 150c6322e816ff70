"""Baseten-only names of ``truss_chains``: one clear error where a chain uses them, the same
message from ``chains-lint`` (CH002), and ``chains-run`` / ``chains-build`` refusing such a
chain."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import chains_runtime
import pydantic
import pytest
from chains_runtime import import_alias
from chains_runtime.baseten_only import BASETEN_ONLY, BasetenOnlyError
from chains_runtime.errors import ChainsUsageError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chains_lint.rules.baseten_only import BASETEN_ONLY_MESSAGES
from tests.build_helpers import build, write
from tests.lint_helpers import lint_text
from tests.server_helpers import ThreadedUvicorn

CHAINS_RUN = Path(sys.executable).parent / "chains-run"
RUN_TIMEOUT_SEC = 120


@pytest.fixture(autouse=True)
def _alias() -> Iterator[None]:
    """``import truss_chains`` gives chains_runtime (truss is not installed in .venv)."""
    import_alias.install()
    yield


def _truss_chains() -> Any:
    return importlib.import_module("truss_chains")


def _subclass(base_name: str) -> Callable[[], object]:
    return lambda: type("UserClass", (getattr(_truss_chains(), base_name),), {})


def _exec(statement: str) -> Callable[[], object]:
    return lambda: exec(statement, {})


USES: list[tuple[str, str, Callable[[], object]]] = [
    (
        "subclass EngineBuilderLLMChainlet",
        "EngineBuilderLLMChainlet",
        _subclass("EngineBuilderLLMChainlet"),
    ),
    ("subclass TrussChainlet", "TrussChainlet", _subclass("TrussChainlet")),
    ("call push", "push", lambda: _truss_chains().push("Chain", publish=True)),
    (
        "make EngineBuilderLLMInput",
        "EngineBuilderLLMInput",
        lambda: _truss_chains().EngineBuilderLLMInput(messages=[]),
    ),
    (
        "EngineBuilderLLMInput as a pydantic type",
        "EngineBuilderLLMInput",
        lambda: pydantic.TypeAdapter(_truss_chains().EngineBuilderLLMInput),
    ),
    ("subclass EngineBuilderLLMInput", "EngineBuilderLLMInput", _subclass("EngineBuilderLLMInput")),
    ("read truss_chains.deployment.push", "deployment", lambda: _truss_chains().deployment.push),
    (
        "from truss_chains.deployment import",
        "deployment",
        _exec("from truss_chains.deployment import deployment_client"),
    ),
    (
        "import below truss_chains.deployment",
        "deployment",
        _exec("import truss_chains.deployment.deployment_client"),
    ),
    (
        "from truss_chains.remote_chainlet.truss_chainlet import",
        "remote_chainlet",
        _exec("from truss_chains.remote_chainlet.truss_chainlet import TrussHandle"),
    ),
    (
        "read chains_runtime.remote_chainlet.utils",
        "remote_chainlet",
        lambda: chains_runtime.remote_chainlet.utils,
    ),
    (
        "from truss_chains.public_api import push, then call",
        "push",
        _exec("from truss_chains.public_api import push\npush(object)"),
    ),
]


@pytest.mark.parametrize(("use", "name"), [(u, n) for u, n, _ in USES], ids=[u for u, _, _ in USES])
def test_using_a_baseten_only_name_raises_one_clear_error(use: str, name: str) -> None:
    action = dict((u, a) for u, _, a in USES)[use]
    with pytest.raises(BasetenOnlyError) as caught:
        action()
    error = caught.value
    assert isinstance(error, ChainsUsageError)
    assert error.name == name
    headline, *rest = str(error).splitlines()
    assert headline == BASETEN_ONLY[name].headline
    assert "Baseten-only" in headline and "Self-hosted" in headline
    assert rest[0] == "For example:" and len(rest) == 3  # a two-line example


def test_importing_baseten_only_names_is_not_an_error() -> None:
    exec(
        "import truss_chains as chains\n"
        "import truss_chains.deployment\n"
        "import truss_chains.remote_chainlet\n"
        "from truss_chains import EngineBuilderLLMChainlet, EngineBuilderLLMInput, TrussChainlet\n"
        "from truss_chains import push, deployment, remote_chainlet\n"
        "from truss_chains.framework import EngineBuilderLLMChainlet as E\n",
        {},
    )
    chains = _truss_chains()
    assert isinstance(chains.deployment, type(sys))
    assert not hasattr(chains.deployment, "__wrapped__")  # dunder reads stay AttributeErrors


def test_stub_base_stays_importable_from_remote_chainlet_stub() -> None:
    namespace: dict[str, Any] = {}
    exec("from truss_chains.remote_chainlet.stub import StubBase", namespace)
    assert namespace["StubBase"] is chains_runtime.StubBase
    assert _truss_chains().remote_chainlet.stub.StubBase is chains_runtime.StubBase
    assert chains_runtime.remote_chainlet.stub.StubBase is chains_runtime.StubBase
    exec("from truss_chains.remote_chainlet import stub", namespace)
    assert namespace["stub"].StubBase is chains_runtime.StubBase


def test_the_linter_message_is_the_runtime_headline() -> None:
    assert set(BASETEN_ONLY_MESSAGES) == set(BASETEN_ONLY)
    for name, entry in BASETEN_ONLY.items():
        assert BASETEN_ONLY_MESSAGES[name] == entry.headline, name


# -- the linter ----------------------------------------------------------------------------

CHAIN_HEAD = """
import truss_chains as chains
"""
SAY_HELLO = """

@chains.mark_entrypoint
class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return name
"""

LINT_USES = [
    # (the code, the Baseten-only name reported, the line it is reported on)
    ("class Llama(chains.EngineBuilderLLMChainlet):\n    pass\n", "EngineBuilderLLMChainlet", 2),
    ("class Model(chains.TrussChainlet):\n    truss_dir = 'x'\n", "TrussChainlet", 2),
    ("def deploy() -> None:\n    chains.push(SayHello)\n", "push", 3),
    ("from truss_chains import push\n\n\ndef deploy() -> None:\n    push(SayHello)\n", "push", 6),
    ("from truss_chains.public_api import push as p\nx = p\n", "push", 3),
    ("REQUEST = chains.EngineBuilderLLMInput(messages=[])\n", "EngineBuilderLLMInput", 2),
    ("from truss_chains.deployment import deployment_client\n", "deployment", 2),
    ("import truss_chains.deployment.deployment_client\n", "deployment", 2),
    ("import truss_chains.deployment\nx = truss_chains.deployment.push\n", "deployment", 3),
    (
        "from truss_chains.remote_chainlet.truss_chainlet import TrussHandle\n",
        "remote_chainlet",
        2,
    ),
    (
        "def handle() -> object:\n    from truss_chains import remote_chainlet\n"
        "    return remote_chainlet.truss_chainlet.TrussHandle\n",
        "remote_chainlet",
        4,
    ),
]


@pytest.mark.parametrize("profile", ["default", "truss"])
@pytest.mark.parametrize(("code", "name", "line"), LINT_USES)
def test_the_linter_reports_each_use_with_the_runtime_message(
    code: str, name: str, line: int, profile: str, tmp_path: Path
) -> None:
    diagnostics = lint_text(tmp_path, CHAIN_HEAD + code + SAY_HELLO, profile=profile)  # type: ignore[arg-type]
    found = [d for d in diagnostics if d.code == "CH002"]
    assert [(d.message, d.span.line) for d in found] == [(BASETEN_ONLY[name].headline, line)]


NOT_USES = [
    "from truss_chains import push, deployment, EngineBuilderLLMChainlet\n",
    "import truss_chains.deployment\nimport truss_chains.remote_chainlet\n",
    "from truss_chains.remote_chainlet.stub import StubBase\nS = StubBase\n",
    "from truss_chains.remote_chainlet import stub\nS = stub.StubBase\n",
    "import truss_chains.remote_chainlet.stub\nS = truss_chains.remote_chainlet.stub.StubBase\n",
    "def push(x: object) -> None:\n    pass\n\n\npush(1)\n",
    "class Deployer:\n    def push(self) -> None:\n        self.push()\n",
    "def f(**kwargs: object) -> None:\n    pass\n\n\nf(push=1, TrussChainlet=2)\n",
    "TEXT = 'chains.push(EngineBuilderLLMChainlet)'\n",
    "import other_sdk as chains2\nx = chains2.push\n",
]


@pytest.mark.parametrize("profile", ["default", "truss"])
@pytest.mark.parametrize("code", NOT_USES)
def test_the_linter_does_not_report_what_is_not_a_use(
    code: str, profile: str, tmp_path: Path
) -> None:
    diagnostics = lint_text(tmp_path, CHAIN_HEAD + code + SAY_HELLO, profile=profile)  # type: ignore[arg-type]
    assert [d for d in diagnostics if d.code == "CH002"] == []


# -- chains-run and chains-build -----------------------------------------------------------

LLM_CHAIN = """
import truss_chains as chains


class Llama(chains.EngineBuilderLLMChainlet):
    pass


@chains.mark_entrypoint
class Chat(chains.ChainletBase):
    def __init__(self, llm: Llama = chains.depends(Llama)) -> None:
        self._llm = llm

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""


def test_chains_run_refuses_the_chain_with_the_message_at_the_users_line(tmp_path: Path) -> None:
    chain = write(tmp_path, "chain.py", LLM_CHAIN)
    done = subprocess.run(
        [str(CHAINS_RUN), str(chain), "--input", '{"prompt": "hi"}'],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SEC,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    headline = BASETEN_ONLY["EngineBuilderLLMChainlet"].headline
    assert f"BasetenOnlyError: {headline} ({chain}, line 4)" in done.stderr
    assert 'chains.StubBase.from_url("http://vllm:8000/v1/chat/completions", context)' in (
        done.stderr
    )


def test_chains_build_lints_first_and_refuses_the_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path / "src", "chain.py", LLM_CHAIN)
    out = tmp_path / "out"
    status, stdout, stderr = build(capsys, chain, "-o", out)
    assert status == 1
    assert "CH002 " + BASETEN_ONLY["EngineBuilderLLMChainlet"].headline in stdout
    assert "lint error(s): fix them, then build again" in stderr
    assert not out.exists()


# -- the self-hosted alternative the LLM message gives ------------------------------------------


async def _chat_completions(request: Request) -> Response:
    """What an OpenAI-compatible server (vLLM) answers, echoing the last message."""
    body = await request.json()
    return JSONResponse(
        {
            "object": "chat.completion",
            "model": body["model"],
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": body["messages"][-1]["content"]},
                    "finish_reason": "stop",
                }
            ],
        }
    )


OPENAI_COMPATIBLE = Starlette(
    routes=[Route("/v1/chat/completions", _chat_completions, methods=["POST"])]
)

EXAMPLE_CHAIN = """
import truss_chains as chains


@chains.mark_entrypoint
class Chat(chains.ChainletBase):
    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        {first}

    async def run_remote(self, prompt: str) -> str:
        messages = [{{"role": "user", "content": prompt}}]
        {second}
        return str(answer["choices"][0]["message"]["content"])
"""


def test_the_llm_example_of_the_message_runs_against_an_openai_compatible_server(
    tmp_path: Path,
) -> None:
    server = ThreadedUvicorn(OPENAI_COMPATIBLE, lifespan="off")
    try:
        first, second = BASETEN_ONLY["EngineBuilderLLMChainlet"].example
        first = first.replace("http://vllm:8000", server.url)
        chain = write(tmp_path, "chain.py", EXAMPLE_CHAIN.format(first=first, second=second))
        done = subprocess.run(
            [str(CHAINS_RUN), str(chain), "--input", '{"prompt": "hello"}'],
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SEC,
            check=False,
        )
    finally:
        server.stop()
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == "hello"
