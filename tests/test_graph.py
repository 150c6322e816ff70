"""The Mermaid dependency graph, from real files: through ``mermaid()`` and the CLI."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from chains_lint.analysis import analyse
from chains_lint.graph import mermaid
from tests.lint_helpers import write_files

PROJECT = Path(__file__).resolve().parents[1]
HEADER = "import truss_chains as chains\n"

HELLO = HEADER + """

class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return ""
"""


def graph_of(folder: Path, files: str | Mapping[str, str], linted: Sequence[str] = ()) -> str:
    write_files(folder, files)
    paths = [folder / name for name in (linted or ["chain.py"])]
    analysis = analyse(paths)
    models = {id(t.model): t.model for t in analysis.targets}
    return "".join(mermaid(model) for model in models.values())


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "chains-lint"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "chains_lint"]
    return subprocess.run(
        [*command, "--no-config", *args],
        cwd=cwd, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture(autouse=True)
def _in_tmp_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Paths in the graph are shown relative to the working directory.
    monkeypatch.chdir(tmp_path)


def test_hello_chain(tmp_path: Path) -> None:
    assert graph_of(tmp_path, HELLO) == (
        "graph TD\n"
        "    %% chain: HelloAll (chain.py)\n"
        '    chain_HelloAll(["entrypoint: HelloAll"])\n'
        '    chain_SayHello["SayHello"]\n'
        "    chain_HelloAll --> chain_SayHello\n"
    )


def test_hello_chain_exact_through_the_cli(tmp_path: Path) -> None:
    write_files(tmp_path, HELLO)
    result = run_cli("--graph", "chain.py", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "graph TD\n"
        "    %% chain: HelloAll (chain.py)\n"
        '    chain_HelloAll(["entrypoint: HelloAll"])\n'
        '    chain_SayHello["SayHello"]\n'
        "    chain_HelloAll --> chain_SayHello\n"
    )


def test_example_chain_through_the_cli() -> None:
    result = run_cli("--graph", "examples/hello/chain.py", cwd=PROJECT)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "graph TD"
    assert '    chain_HelloAll(["entrypoint: HelloAll"])' in lines
    assert "    chain_HelloAll --> chain_SayHello" in lines


def test_options_label_only_non_default_values(tmp_path: Path) -> None:
    source = HELLO.replace(
        "chains.depends(SayHello)",
        "chains.depends(SayHello, 3, 600.0, use_binary=True, concurrency_limit=300)",
    )
    graph = graph_of(tmp_path, source)
    assert '    chain_HelloAll -->|"retries=3, use_binary=True"| chain_SayHello\n' in graph


def test_option_that_is_not_a_literal_shows_its_text(tmp_path: Path) -> None:
    source = HELLO.replace(
        "chains.depends(SayHello)", "chains.depends(SayHello, retries=conf.RETRIES)"
    )
    assert '-->|"retries=conf.RETRIES"| chain_SayHello' in graph_of(tmp_path, source)


def test_true_is_not_the_default_retries_of_one(tmp_path: Path) -> None:
    source = HELLO.replace("chains.depends(SayHello)", "chains.depends(SayHello, retries=True)")
    assert '-->|"retries=True"|' in graph_of(tmp_path, source)


def test_display_names_chain_name_and_escaping(tmp_path: Path) -> None:
    source = HELLO.replace(
        "@chains.mark_entrypoint\n", '@chains.mark_entrypoint("Greeter <v2>")\n'
    ).replace(
        "class SayHello(chains.ChainletBase):\n",
        "class SayHello(chains.ChainletBase):\n"
        '    remote_config = chains.RemoteConfig(name=\'Say "hi"\')\n\n',
    )
    graph = graph_of(tmp_path, source)
    assert "    %% chain: Greeter <v2> (chain.py)\n" in graph
    assert '    chain_SayHello["Say #quot;hi#quot; (SayHello)"]\n' in graph


def test_multi_file_chain_with_cycle_and_missing_target(tmp_path: Path) -> None:
    files = {
        "chain.py": HEADER + """
from pkg import workers


@chains.mark_entrypoint
class Front(chains.ChainletBase):
    def __init__(
        self,
        ping=chains.depends(workers.Ping, timeout_sec=5),
        gone=chains.depends(workers.Gone),
    ) -> None:
        pass

    async def run_remote(self, n: int) -> int:
        return n
""",
        "pkg/__init__.py": "",
        "pkg/workers.py": HEADER + """

class Ping(chains.ChainletBase):
    def __init__(self, pong=chains.depends(Pong)) -> None:
        pass

    async def run_remote(self, n: int) -> int:
        return n


class Pong(chains.ChainletBase):
    def __init__(self, ping=chains.depends(Ping)) -> None:
        pass

    async def run_remote(self, n: int) -> int:
        return n
""",
    }
    assert graph_of(tmp_path, files) == (
        "graph TD\n"
        "    %% chain: Front (chain.py)\n"
        '    chain_Front(["entrypoint: Front"])\n'
        '    pkg_workers_Ping["Ping"]\n'
        '    pkg_workers_Pong["Pong"]\n'
        '    chain_Front -->|"timeout_sec=5"| pkg_workers_Ping\n'
        '    missing_workers_Gone["workers.Gone (not a known chainlet)"]\n'
        "    chain_Front -.-> missing_workers_Gone\n"
        "    pkg_workers_Ping --> pkg_workers_Pong\n"
        "    pkg_workers_Pong --> pkg_workers_Ping\n"
    )


def test_colliding_ids_get_a_suffix(tmp_path: Path) -> None:
    worker = HEADER + """

class R(chains.ChainletBase):
    async def run_remote(self, n: int) -> int:
        return n
"""
    files = {
        "chain.py": HEADER + """
import p.q
import p_q


@chains.mark_entrypoint
class Top(chains.ChainletBase):
    def __init__(self, one=chains.depends(p.q.R), two=chains.depends(p_q.R)) -> None:
        pass

    async def run_remote(self, n: int) -> int:
        return n
""",
        "p/__init__.py": "",
        "p/q.py": worker,
        "p_q.py": worker,
    }
    lines = graph_of(tmp_path, files).splitlines()
    assert lines[3:] == [
        '    p_q_R["R"]',
        '    p_q_R_2["R"]',
        "    chain_Top --> p_q_R",
        "    chain_Top --> p_q_R_2",
    ]


def test_each_chain_gets_its_own_block_in_path_order(tmp_path: Path) -> None:
    files = {
        "chain.py": HELLO,
        "b_chain.py": HELLO.replace("HelloAll", "Other"),
    }
    graph = graph_of(tmp_path, files, linted=["chain.py", "b_chain.py"])
    blocks = graph.split("\n\n")
    assert len(blocks) == 2
    assert blocks[0].startswith("graph TD\n    %% chain: Other (b_chain.py)")
    assert blocks[1].startswith("graph TD\n    %% chain: HelloAll (chain.py)")


def test_library_without_chain_gives_nothing(tmp_path: Path) -> None:
    files = {
        "lib.py": HEADER + """

class A(chains.ChainletBase):
    async def run_remote(self, n: int) -> int:
        return n


class B(chains.ChainletBase):
    async def run_remote(self, n: int) -> int:
        return n
""",
    }
    assert graph_of(tmp_path, files, linted=["lib.py"]) == ""


def test_graph_is_deterministic(tmp_path: Path) -> None:
    files = {
        "chain.py": HELLO,
        "z.py": HELLO.replace("HelloAll", "Zed"),
        "a.py": HELLO.replace("HelloAll", "Aye"),
    }
    first = graph_of(tmp_path, files, linted=["z.py", "chain.py", "a.py"])
    second = graph_of(tmp_path, files, linted=["a.py", "z.py", "chain.py"])
    assert first == second
    assert first.count("graph TD") == 3
