"""Shared helpers of the chains-build tests: chain files in tmp_path, the CLI, output trees."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chains_build.cli import main
from chains_build.planner import BuildOptions, PlannedChain, find_chain, plan_chain
from chains_lint import Config, lint_files

REPO = Path(__file__).resolve().parent.parent

HELLO_CHAIN = """
    import asyncio

    import truss_chains as chains


    class SayHello(chains.ChainletBase):
        async def run_remote(self, name: str) -> str:
            return f"Hello, {name}"


    @chains.mark_entrypoint
    class HelloAll(chains.ChainletBase):
        def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
            self._say_hello = say_hello

        async def run_remote(self, names: list[str]) -> str:
            greetings = await asyncio.gather(*(self._say_hello.run_remote(n) for n in names))
            return "\\n".join(greetings)
"""


GPU_CHAIN = """
    import truss_chains as chains


    class Embed(chains.ChainletBase):
        remote_config = chains.RemoteConfig(
            docker_image=chains.DockerImage(
                pip_requirements=["torch==2.7.1", "numpy>=1.26"],
                apt_requirements=["libgomp1"],
                data_dir=chains.make_abs_path_here("weights"),
            ),
            compute=chains.Compute(instance_type="H100:2x16x160"),
            build_commands=["python3 -c 'import torch; print(torch.__version__)'"],
            assets=chains.Assets(secret_keys=["hf_access_token"]),
        )

        async def run_remote(self, texts: list[str]) -> list[list[float]]:
            return [[0.0] for _ in texts]


    @chains.mark_entrypoint("Search")
    class Search(chains.ChainletBase):
        remote_config = chains.RemoteConfig(
            docker_image=chains.DockerImage(
                apt_requirements=["ffmpeg"],
                external_package_dirs=[chains.make_abs_path_here("vendor")],
            ),
            compute=chains.Compute(instance_type="L4:4x16"),
            build_commands=["mkdir -p /app/cache && echo ready > /app/cache/state"],
        )

        def __init__(self, embed: Embed = chains.depends(Embed)) -> None:
            self._embed = embed

        async def run_remote(self, query: str) -> list[list[float]]:
            return await self._embed.run_remote([query])
"""
"""Two GPU chainlets sized by instance types, with apt and pip requirements, build commands,
a data folder, a vendored package and a secret (``gpu_project`` writes its folders)."""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def gpu_project(folder: Path) -> Path:
    """``GPU_CHAIN`` in ``folder`` with its data and vendored folders; the chain file."""
    write(folder, "weights/config.json", '{"dim": 1}\n')
    write(folder, "vendor/textlib/__init__.py", '"""A vendored package."""\n')
    return write(folder, "chain.py", GPU_CHAIN)


def planned(path: Path, options: BuildOptions | None = None) -> PlannedChain:
    """Lint (which must find no errors) and plan the chain in ``path``."""
    result = lint_files([path], Config())
    assert not result.has_errors, [str(d.message) for d in result.diagnostics]
    model = result.analysis.targets[0].model
    return plan_chain(model, find_chain(model, path), options or BuildOptions())


def build(
    capsys: pytest.CaptureFixture[str], *args: str | Path
) -> tuple[int, str, str]:
    """Run ``chains-build ARGS`` in this process; (exit status, stdout, stderr)."""
    capsys.readouterr()
    status = main([str(arg) for arg in args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def build_process(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> (
    subprocess.CompletedProcess[str]
):
    """Run the installed ``chains-build`` script as its own process."""
    script = Path(sys.executable).with_name("chains-build")
    command = [str(script)] if script.is_file() else [sys.executable, "-m", "chains_build.cli"]
    return subprocess.run(
        [*command, *(str(arg) for arg in args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def tree(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` by POSIX relative path, with its bytes; without the
    deployer's ``.env``, whose random service token is the one output that differs between
    builds (chains_build.env_file)."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).as_posix() != ".env"
    }
