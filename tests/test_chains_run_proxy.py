"""chains-run with proxy variables set: its loopback readiness probes (at start, and after a
restart in ``--serve`` mode) never go through a proxy."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
from pathlib import Path

from tests.test_chains_run import (
    CHAINS_RUN,
    HELLO,
    RUN_TIMEOUT_SEC,
    free_port,
    kill_leftovers,
    stop_process,
    wait_for,
)
from tests.test_chains_run_serve_resilience import WAIT_SEC, Served

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy")


def _environment_with_a_dead_proxy() -> dict[str, str]:
    """This environment, with every proxy variable pointing at a loopback port nothing
    listens on (and no NO_PROXY)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        proxy = f"http://127.0.0.1:{sock.getsockname()[1]}"
    environ = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARIABLES}
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        environ[name] = proxy
    return environ


def test_a_proxy_in_the_environment_does_not_stop_the_chain_from_starting() -> None:
    result = subprocess.run(
        [str(CHAINS_RUN), str(HELLO), "--input", '{"names": ["Ada"]}', "--startup-timeout", "30"],
        env=_environment_with_a_dead_proxy(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SEC,
    )
    assert result.returncode == 0, f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.stdout == '"Hello, Ada"\n'


def test_a_proxy_in_the_environment_does_not_stop_a_restart(tmp_path: Path) -> None:
    chain = tmp_path / "chain.py"
    chain.write_text(HELLO.read_text(encoding="utf-8"), encoding="utf-8")
    port, err = free_port(), tmp_path / "err"
    with (tmp_path / "out").open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [str(CHAINS_RUN), str(chain), "--serve", "--port", str(port)],
            env=_environment_with_a_dead_proxy(),
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )
    served = Served(chain, f"http://127.0.0.1:{port}", err, process)
    try:
        wait_for(lambda: "serving HelloAll at" in served.log(), "the chain to serve", WAIT_SEC)
        killed = served.pid_of("SayHello")
        os.kill(killed, signal.SIGKILL)
        back = re.compile(r"chainlet `SayHello` restarted \(pid (\d+)\), ready at")
        wait_for(lambda: back.search(served.log()) is not None, "SayHello to be back", WAIT_SEC)
        assert process.poll() is None, served.log()
    finally:
        stop_process(process)
        assert not kill_leftovers(chain), "chainlet processes were left behind"
