"""``chains-run --serve`` keeps a chain up: real processes, real signals, real calls on loopback.

A chainlet process that dies (SIGKILL, or exiting by itself) is restarted on the same address
and the restart is logged; the others keep serving; a restarted chainlet that fails its
``__init__`` is retried with backoff while its callers stay ready; SIGTERM stops everything and
exits 0. Each test serves its own copy of a chain file, so its processes are told apart by path.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from chains_runtime.run.supervisor import MAX_DELAY_SEC, restart_delay

from tests.test_chains_run import (
    HELLO,
    alive,
    free_port,
    kill_leftovers,
    serve_processes,
    spawn,
    stop_process,
    wait_for,
)

WAIT_SEC = 30.0
"""Generous: a restart is a new Python process importing the chain on a loaded 2-core machine."""

WORKERS = """
import os
from pathlib import Path

import truss_chains as chains

BROKEN = Path(__file__).with_name("broken")
EXIT_ONCE = Path(__file__).with_name("exit-once")


class Worker(chains.ChainletBase):
    def __init__(self) -> None:
        if BROKEN.exists():
            raise RuntimeError("the worker's model file is missing")

    async def run_remote(self, text: str) -> str:
        if EXIT_ONCE.exists():
            EXIT_ONCE.unlink()
            os._exit(3)
        return text.upper()


@chains.mark_entrypoint
class Front(chains.ChainletBase):
    def __init__(self, worker: Worker = chains.depends(Worker)) -> None:
        self._worker = worker

    async def run_remote(self, text: str) -> str:
        return await self._worker.run_remote(text=text)
"""


@dataclass
class Served:
    chain: Path
    url: str
    err: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.err.read_text(errors="replace")

    def pid_of(self, chainlet: str) -> int:
        """The pid of the live process serving ``chainlet`` of this chain (from /proc)."""
        wanted = f"{self.chain}:{chainlet}\0".encode()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit() or not alive(int(entry.name)):
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"chains_runtime.serve\0" in cmdline and wanted in cmdline:
                return int(entry.name)
        raise AssertionError(f"no live process serves `{chainlet}`\n{self.log()}")


def serve(folder: Path, source: str) -> Served:
    chain = folder / "chain.py"
    chain.write_text(source, encoding="utf-8")
    port, err = free_port(), folder / "err"
    process = spawn(chain, "--serve", "--port", str(port), out=folder / "out", err=err)
    return Served(chain, f"http://127.0.0.1:{port}", err, process)


@pytest.fixture
def hello(tmp_path: Path) -> Iterator[Served]:
    served = serve(tmp_path, HELLO.read_text(encoding="utf-8"))
    try:
        wait_for(lambda: "serving HelloAll at" in served.log(), "the chain to serve", WAIT_SEC)
        yield served
    finally:
        stop_process(served.process)
        assert not kill_leftovers(served.chain), "chainlet processes were left behind"


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[Served]:
    served = serve(tmp_path, WORKERS)
    try:
        wait_for(lambda: "serving Front at" in served.log(), "the chain to serve", WAIT_SEC)
        yield served
    finally:
        stop_process(served.process)
        assert not kill_leftovers(served.chain), "chainlet processes were left behind"


def call(url: str, body: Mapping[str, object]) -> httpx.Response:
    return httpx.post(f"{url}/run_remote", json=body, timeout=WAIT_SEC)


def answers_again(url: str, body: Mapping[str, object], expected: object) -> None:
    """Calls succeed again within WAIT_SEC (a call may fail while the chainlet is down)."""

    def succeeds() -> bool:
        try:
            response = call(url, body)
        except httpx.TransportError:
            return False
        return response.status_code == 200 and response.json() == expected

    wait_for(succeeds, "a call through the entrypoint to succeed again", WAIT_SEC)


@pytest.mark.parametrize("victim", ["SayHello", "HelloAll"], ids=["internal", "entrypoint"])
def test_a_killed_chainlet_is_restarted_on_its_address_and_the_chain_answers_again(
    hello: Served, victim: str
) -> None:
    body = {"names": ["Ada"]}
    assert call(hello.url, body).json() == "Hello, Ada"
    other = "HelloAll" if victim == "SayHello" else "SayHello"
    survivor = hello.pid_of(other)
    killed = hello.pid_of(victim)
    os.kill(killed, signal.SIGKILL)

    restart = (
        f"chainlet `{victim}` (pid {killed}) was killed by SIGKILL; "
        "restarting it in 0.5 s (attempt 1)"
    )
    wait_for(lambda: restart in hello.log(), "the restart to be logged", WAIT_SEC)
    answers_again(hello.url, body, "Hello, Ada")
    back = re.compile(rf"chainlet `{victim}` restarted \(pid (\d+)\), ready at (\S+)")
    wait_for(lambda: back.search(hello.log()) is not None, "the chainlet to be back", WAIT_SEC)
    found = back.search(hello.log())
    assert found is not None
    assert int(found.group(1)) == hello.pid_of(victim) != killed
    internal = re.search(r"internal chainlet SayHello at (\S+)/run_remote", hello.log())
    assert internal is not None
    assert found.group(2) == (internal.group(1) if victim == "SayHello" else hello.url)
    assert hello.pid_of(other) == survivor, "the other chainlet was restarted too"
    assert hello.process.poll() is None


def test_a_chainlet_that_exits_is_restarted_and_its_log_is_shown(workers: Served) -> None:
    assert call(workers.url, {"text": "a"}).json() == "A"
    pid = workers.pid_of("Worker")
    (workers.chain.parent / "exit-once").touch()
    # The call may fail or be retried by the dependency client: only the restart matters.
    with contextlib.suppress(httpx.TransportError):
        call(workers.url, {"text": "b"})
    restart = f"chainlet `Worker` (pid {pid}) exited with status 3; restarting it in 0.5 s"
    wait_for(lambda: restart in workers.log(), "the restart to be logged", WAIT_SEC)
    assert "last lines of the log of `Worker`" in workers.log()
    answers_again(workers.url, {"text": "c"}, "C")


def test_a_restarted_chainlet_failing_init_is_retried_with_backoff_while_callers_stay_ready(
    workers: Served,
) -> None:
    broken = workers.chain.parent / "broken"
    broken.touch()
    os.kill(workers.pid_of("Worker"), signal.SIGKILL)
    # Attempt 1 (after 0.5 s) fails its __init__: attempt 2 comes 1 s later, and so on.
    retry = re.compile(
        r"chainlet `Worker` \(pid \d+\) failed in __init__; restarting it in 1 s \(attempt 2\)"
    )
    wait_for(lambda: retry.search(workers.log()) is not None, "the retry to be logged", WAIT_SEC)
    assert "RuntimeError: the worker's model file is missing" in workers.log()  # its log tail
    ready = httpx.get(f"{workers.url}/readyz", timeout=WAIT_SEC)
    assert ready.status_code == 200, ready.text  # the entrypoint does not depend on it
    assert workers.process.poll() is None

    broken.unlink()
    answers_again(workers.url, {"text": "back"}, "BACK")
    wait_for(lambda: "chainlet `Worker` restarted (pid" in workers.log(), "Worker", WAIT_SEC)


def test_sigterm_after_a_restart_stops_every_chainlet_and_exits_0(hello: Served) -> None:
    killed = hello.pid_of("SayHello")
    os.kill(killed, signal.SIGKILL)
    answers_again(hello.url, {"names": ["Ada"]}, "Hello, Ada")
    children = serve_processes(hello.chain)
    assert len(children) == 2 and killed not in children

    hello.process.send_signal(signal.SIGTERM)
    assert hello.process.wait(timeout=WAIT_SEC) == 0, hello.log()
    assert "SIGTERM: stopping the chainlets" in hello.log()
    assert not [pid for pid in children if alive(pid)]
    assert not serve_processes(hello.chain)
    with pytest.raises(httpx.TransportError):  # the port is closed, not left queueing
        httpx.get(f"{hello.url}/healthz", timeout=5)


def test_a_chainlet_failing_init_at_start_still_fails_the_start(tmp_path: Path) -> None:
    (tmp_path / "broken").touch()
    served = serve(tmp_path, WORKERS)
    try:
        assert served.process.wait(timeout=WAIT_SEC + 60) == 1, served.log()
    finally:
        stop_process(served.process)
    assert "error: chainlet `Worker` failed in __init__" in served.log()
    assert "restarting" not in served.log()
    assert not serve_processes(served.chain)


def test_restart_delays_double_up_to_a_cap() -> None:
    delays = [restart_delay(attempt) for attempt in range(1, 9)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]
    assert restart_delay(10_000) == MAX_DELAY_SEC
