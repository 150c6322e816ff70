"""Generated servers: short, ruff- and mypy-clean, and they really serve from their context."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from chains_runtime.protocol import SERVICE_TOKEN_HEADER

from chains_build.contexts import build_contexts, write_context
from chains_build.server_module import render_server_module
from tests.build_helpers import HELLO_CHAIN, REPO, planned, write
from tests.deploy_helpers import free_port

TOKEN = "test-service-token"


def _contexts(chain_file: Path, out: Path) -> dict[str, Path]:
    """Write every context of the chain below ``out``; folder by class name."""
    _, contexts = build_contexts(planned(chain_file))
    out.mkdir(parents=True)
    folders = {}
    for context in contexts:
        write_context(context, out / context.folder)
        folders[context.chainlet.class_name] = out / context.folder
    return folders


def _check_tools(server: Path) -> None:
    ruff = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--config", str(REPO / "pyproject.toml"),
         "--no-cache", server.name],
        cwd=server.parent, capture_output=True, text=True, check=False,
    )
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
         "--cache-dir", os.devnull, server.name],
        cwd=server.parent, capture_output=True, text=True, check=False,
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_the_server_is_a_short_readable_module(tmp_path: Path) -> None:
    result = planned(write(tmp_path, "chain.py", HELLO_CHAIN))
    text = render_server_module(result.plan, result.plan.chainlet("SayHello"))
    assert "    from chain import SayHello\n" in text
    assert "    return serve_chainlet(SayHello)\n" in text
    assert text.index("import_alias.install()") < text.index("from chain import SayHello")
    assert len(text.splitlines()) <= 25


def test_generated_servers_pass_ruff_and_mypy(tmp_path: Path) -> None:
    write(tmp_path / "odd", "vendor/textlib/__init__.py", "")
    odd = write(
        tmp_path / "odd",
        "my-chain.py",
        """
        import truss_chains as chains


        class main(chains.ChainletBase):  # noqa: N801 - a class named like the server's main
            remote_config = chains.RemoteConfig(
                docker_image=chains.DockerImage(
                    external_package_dirs=[chains.make_abs_path_here("vendor")]
                )
            )

            async def run_remote(self, text: str) -> str:
                return text
        """,
    )
    multi = _contexts(REPO / "examples" / "multi_file" / "chain.py", tmp_path / "multi")
    servers = [multi["Summarizer"], *_contexts(odd, tmp_path / "odd-out").values()]
    odd_server = (tmp_path / "odd-out" / "main" / "chainlet_server.py").read_text()
    assert 'importlib.import_module("my-chain")' in odd_server
    assert 'PACKAGE_DIRS = ("vendor",)' in odd_server
    for folder in servers:
        _check_tools(folder / "chainlet_server.py")


class _Servers:
    def __init__(self) -> None:
        self.processes: list[subprocess.Popen[str]] = []

    def start(self, context: Path, config: dict[str, object]) -> str:
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "chainlet_server.py", "--host", "127.0.0.1", "--port", str(port)],
            cwd=context,
            env={**os.environ, "CHAINS_CONFIG": json.dumps(config), "CHAINS_SERVICE_TOKEN": TOKEN},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"server in {context.name} exited: {process.communicate()[1]}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    return url
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        pytest.fail(f"server in {context.name} did not become ready")

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()


@pytest.fixture
def servers() -> Iterator[_Servers]:
    started = _Servers()
    try:
        yield started
    finally:
        started.stop()


def test_generated_servers_serve_the_chain_from_their_contexts(
    tmp_path: Path, servers: _Servers
) -> None:
    folders = _contexts(write(tmp_path / "src", "chain.py", HELLO_CHAIN), tmp_path / "out")
    leaf = servers.start(folders["SayHello"], {"chainlet": "SayHello"})
    entry = servers.start(
        folders["HelloAll"],
        {"chainlet": "HelloAll", "is_entrypoint": True, "dependencies": {"SayHello": leaf}},
    )
    response = httpx.post(f"{entry}/run_remote", json={"names": ["Ada", "Bo"]}, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == "Hello, Ada\nHello, Bo"
    # The internal chainlet refuses calls without the service token.
    assert httpx.post(f"{leaf}/run_remote", json={"name": "x"}, timeout=10).status_code == 401
    ok = httpx.post(
        f"{leaf}/run_remote", json={"name": "x"}, headers={SERVICE_TOKEN_HEADER: TOKEN}, timeout=10
    )
    assert ok.json() == "Hello, x"
