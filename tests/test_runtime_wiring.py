"""Chainlets as separate processes: ``python -m chains_runtime.serve`` wired by CHAINS_CONFIG."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from chains_runtime.protocol import SERVICE_TOKEN_HEADER
from chains_runtime.wiring import WiringError, parse_wiring

ROOT = Path(__file__).resolve().parent.parent
CHAIN = ROOT / "examples" / "hello" / "chain.py"
TOKEN = "test-service-token"

Start = Callable[[str, dict[str, Any]], tuple[subprocess.Popen[str], str]]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env(config: dict[str, Any] | str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}
    env["CHAINS_CONFIG"] = config if isinstance(config, str) else json.dumps(config)
    return env


def _serve(class_name: str, config: dict[str, Any] | str, port: int) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "chains_runtime.serve", f"{CHAIN}:{class_name}"]
    command += ["--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(
        command,
        env=_env(config),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_ready(process: subprocess.Popen[str], url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _, stderr = process.communicate()
            pytest.fail(f"server exited with {process.returncode}: {stderr}")
        try:
            if httpx.get(f"{url}/readyz", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"{url} was not ready within {timeout}s")


@pytest.fixture
def start() -> Iterator[Start]:
    processes: list[subprocess.Popen[str]] = []

    def start(class_name: str, config: dict[str, Any]) -> tuple[subprocess.Popen[str], str]:
        port = _free_port()
        process = _serve(class_name, config, port)
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        _wait_ready(process, url)
        return process, url

    yield start
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


def _run_to_exit(class_name: str, config: dict[str, Any] | str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "chains_runtime.serve", f"{CHAIN}:{class_name}"]
    command += ["--port", str(_free_port())]
    return subprocess.run(command, env=_env(config), capture_output=True, text=True, timeout=20)


def test_two_chainlet_processes_call_each_other(start: Start) -> None:
    _, say_hello_url = start("SayHello", {"chainlet": "SayHello", "service_token": TOKEN})
    hello_all, hello_all_url = start(
        "HelloAll",
        {
            "chainlet": "HelloAll",
            "is_entrypoint": True,
            "dependencies": {"SayHello": say_hello_url},
            "service_token": TOKEN,
        },
    )
    response = httpx.post(
        f"{hello_all_url}/run_remote", json={"names": ["Ada", "Grace"]}, timeout=10
    )
    assert response.status_code == 200, response.text
    assert response.json() == "Hello, Ada\nHello, Grace"
    assert response.headers["x-request-id"]

    # The internal chainlet refuses a caller without the service token.
    denied = httpx.post(f"{say_hello_url}/run_remote", json={"name": "Eve"}, timeout=10)
    assert denied.status_code == 401
    assert denied.json()["error"]["chainlet"] == "SayHello"
    allowed = httpx.post(
        f"{say_hello_url}/run_remote",
        json={"name": "Eve"},
        headers={SERVICE_TOKEN_HEADER: TOKEN},
        timeout=10,
    )
    assert allowed.json() == "Hello, Eve"

    # SIGTERM stops the server gracefully (uvicorn re-raises the signal once it shut down).
    hello_all.terminate()
    assert hello_all.wait(timeout=10) in (0, -signal.SIGTERM)
    assert "Traceback" not in (hello_all.stderr.read() if hello_all.stderr else "")


def test_missing_dependency_url_is_a_clear_startup_error() -> None:
    config = {"chainlet": "HelloAll", "is_entrypoint": True, "service_token": TOKEN}
    result = _run_to_exit("HelloAll", config)
    assert result.returncode == 2
    assert "chainlet `HelloAll` depends on `SayHello`" in result.stderr
    assert "no URL for it" in result.stderr


def test_bad_config_json_is_a_clear_error() -> None:
    result = _run_to_exit("SayHello", '{"service_token": ')
    assert result.returncode == 2
    assert "CHAINS_CONFIG is not valid JSON" in result.stderr


def test_internal_chainlet_requires_a_token() -> None:
    with pytest.raises(WiringError, match="`SayHello` is internal"):
        parse_wiring('{"chainlet": "SayHello"}', environ={})
    environ = {"CHAINS_SERVICE_TOKEN": "s3cr3t-token"}
    wiring = parse_wiring('{"chainlet": "SayHello"}', environ=environ)
    assert wiring.service_token == "s3cr3t-token"
    assert "s3cr3t" not in repr(wiring)  # the token never shows
