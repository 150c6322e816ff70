"""Real chainlet servers for the server tests, on loopback and ephemeral ports.

- ``ThreadedUvicorn``: any ASGI app on uvicorn in a thread of the test process.
- ``ThreadedServer``: the same, serving ``create_app``'s app for one chainlet;
  ``serve_wired`` serves one wired to its dependencies, as in a chain.
- ``ServedChainlet``: a ``python -m chains_runtime.serve`` process; its stderr (uvicorn's
  messages and the access log) is read on a thread as it comes, so a test can wait for a line
  instead of sleeping.
"""

from __future__ import annotations

import json
import os
import queue
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from chains_runtime.chainlet import ChainletBase
from chains_runtime.server import ServerConfig, create_app
from chains_runtime.stubs import RemoteStubProvider
from chains_runtime.wiring import ChainletWiring

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ThreadedUvicorn:
    """uvicorn serving ``app`` on a loopback port in a thread; ``stop`` shuts it down gracefully.
    ``config`` goes to ``uvicorn.Config``."""

    def __init__(self, app: Any, **config: Any) -> None:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", **config))
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                self.stop()
                raise AssertionError("server did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


class ThreadedServer(ThreadedUvicorn):
    """One chainlet's server (``create_app``) on uvicorn in a thread."""

    def __init__(self, chainlet_cls: type[ChainletBase], config: ServerConfig) -> None:
        self.app = create_app(chainlet_cls, config=config)
        super().__init__(self.app)


def serve_wired(
    chainlet_cls: type[ChainletBase],
    dependencies: dict[str, str] | None = None,
    *,
    token: str,
    is_entrypoint: bool = False,
    **wiring: Any,
) -> ThreadedServer:
    """``chainlet_cls`` served as in a chain: its ``depends(X)`` are remote stubs calling the
    base URLs in ``dependencies`` (by class name) with ``token``; ``wiring`` goes to
    ``ChainletWiring`` (e.g. ``predict_concurrency``)."""
    config = ChainletWiring(
        is_entrypoint=is_entrypoint,
        service_token=token,
        dependencies=dependencies or {},
        **wiring,
    )
    provider = RemoteStubProvider(chainlet_cls, config)
    return ThreadedServer(
        chainlet_cls, config.to_server_config(chainlet_cls, dependency_provider=provider)
    )


class ServedChainlet:
    def __init__(self, target: str, config: dict[str, Any], env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environ = {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}
        environ.update(env)
        environ["CHAINS_CONFIG"] = json.dumps(config)
        command = [sys.executable, "-m", "chains_runtime.serve", target, "--port", str(self.port)]
        self.process = subprocess.Popen(
            command,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        self.lines: list[str] = []
        self._new: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._new.put(line.rstrip("\n"))
        self._new.put(None)

    def stderr(self) -> str:
        self._drain()
        return "\n".join(self.lines)

    def _drain(self) -> None:
        while True:
            try:
                line = self._new.get_nowait()
            except queue.Empty:
                return
            if line is not None:
                self.lines.append(line)

    def wait_for_line(self, pattern: str, timeout: float = 10.0) -> str:
        """The first stderr line matching ``pattern`` (a regex), waiting up to ``timeout``."""
        return self.wait_for_lines(pattern, 1, timeout)[0]

    def wait_for_lines(self, pattern: str, count: int, timeout: float = 10.0) -> list[str]:
        """The stderr lines matching ``pattern``, once ``count`` match; waits up to ``timeout``."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            self._drain()
            matched = [line for line in self.lines if regex.search(line)]
            if len(matched) >= count:
                return matched
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                found = f"{len(matched)} of {count} stderr line(s) matched {pattern!r}"
                raise AssertionError(f"{found}:\n{self.stderr()}")
            try:
                new = self._new.get(timeout=min(remaining, 0.1))
            except queue.Empty:
                continue
            if new is not None:
                self.lines.append(new)

    def wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"server exited with {self.process.returncode}:\n{self.stderr()}"
                )
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.02)
        raise AssertionError(f"{self.url} was not ready within {timeout}s:\n{self.stderr()}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(5)


class ServedChainlets:
    """Chainlet processes started by one test; ``stop_all`` ends every one of them."""

    def __init__(self) -> None:
        self._started: list[ServedChainlet] = []

    def start(
        self, target: str, config: dict[str, Any], env: dict[str, str] | None = None
    ) -> ServedChainlet:
        """A served chainlet, once its ``/readyz`` answers 200."""
        served = ServedChainlet(target, config, env or {})
        self._started.append(served)
        served.wait_ready()
        return served

    def stop_all(self) -> None:
        for served in self._started:
            served.stop()
