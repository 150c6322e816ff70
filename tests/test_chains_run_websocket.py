"""``chains-run`` with a websocket entrypoint: ``--serve`` serves it (a real websocket client
talks to examples/websocket through the chain's processes); a one-call run says to use
``--serve``; a websocket chainlet used as a dependency is refused before anything starts."""

from __future__ import annotations

import json
import re
import signal
from pathlib import Path

import httpx
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.test_chains_run import describe, free_port, run, spawn, stop_process, wait_for

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "websocket" / "chain.py"
API_KEY = "ws-key-for-tests-5678"
WAIT_SEC = 20.0


def test_serve_runs_the_websocket_example(tmp_path: Path) -> None:
    chain = tmp_path / "chain.py"  # a path of its own: its processes are told apart by it
    chain.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    err = tmp_path / "err"
    port = free_port()
    process = spawn(
        chain, "--serve", "--port", str(port), "--api-key", API_KEY,
        out=tmp_path / "out", err=err,
    )  # fmt: skip
    try:
        wait_for(lambda: "serving LiveCounter at" in err.read_text(), "the chain to serve")
        url = f"ws://127.0.0.1:{port}/websocket"
        assert f"serving LiveCounter at {url} (its run_remote takes a websocket" in err.read_text()
        assert "/run_remote" not in err.read_text().split("serving LiveCounter")[1]
        try:
            with connect(url, open_timeout=WAIT_SEC):
                raise AssertionError("connected without the API key")
        except InvalidStatus as refused:
            assert refused.response.status_code == 401
        with connect(url, open_timeout=WAIT_SEC, additional_headers={"x-api-key": API_KEY}) as ws:
            ws.send("one two three")
            first = json.loads(ws.recv(timeout=WAIT_SEC))
            ws.send("four five")
            second = json.loads(ws.recv(timeout=WAIT_SEC))
            ws.send("bye")
            try:
                ws.recv(timeout=WAIT_SEC)
                raise AssertionError("the socket stayed open after bye")
            except ConnectionClosed as closed:
                assert closed.rcvd is not None and closed.rcvd.code == 1000
        assert first == {"message": 1, "words": 3, "total_words": 3}
        assert second == {"message": 2, "words": 2, "total_words": 5}
        http = httpx.post(
            f"http://127.0.0.1:{port}/run_remote",
            json={},
            headers={"x-api-key": API_KEY},
            timeout=10,
        )
        assert http.status_code == 422 and "/websocket" in http.text
        assert API_KEY not in err.read_text()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, err.read_text()
    finally:
        stop_process(process)


PINGS_CHAIN = """
import truss_chains as chains
from truss.base import truss_config


@chains.mark_entrypoint
class Reverser(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        options=chains.ChainletOptions(
            transport=truss_config.WebsocketOptions(ping_interval_seconds=5, ping_timeout_seconds=5)
        )
    )

    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        async for text in await websocket.iter_text():
            await websocket.send_text(text[::-1])
"""


def test_truss_config_websocket_options_import_and_serve(tmp_path: Path) -> None:
    chain = tmp_path / "pings.py"
    chain.write_text(PINGS_CHAIN, encoding="utf-8")
    err = tmp_path / "err"
    port = free_port()
    process = spawn(chain, "--serve", "--port", str(port), out=tmp_path / "out", err=err)
    try:
        wait_for(lambda: "serving Reverser at" in err.read_text(), "the chain to serve")
        with connect(f"ws://127.0.0.1:{port}/websocket", open_timeout=WAIT_SEC) as ws:
            ws.send("abc")
            assert ws.recv(timeout=WAIT_SEC) == "cba"
    finally:
        stop_process(process)

def test_a_one_call_run_of_a_websocket_entrypoint_says_to_serve() -> None:
    for mode in ([], ["--in-process"]):
        result = run(EXAMPLE, "--input", "{}", *mode)
        assert result.returncode == 2, describe(result)
        assert "takes a websocket" in result.stderr
        assert re.search(r"chains-run \S+ --serve", result.stderr), result.stderr
        assert "ws://127.0.0.1:8080/websocket" in result.stderr
        assert "Traceback" not in result.stderr


def test_a_websocket_dependency_is_refused(tmp_path: Path) -> None:
    chain = tmp_path / "chain.py"
    chain.write_text(
        "import truss_chains as chains\n\n\n"
        "class Socket(chains.ChainletBase):\n"
        "    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:\n"
        "        await websocket.send_text('hi')\n\n\n"
        "@chains.mark_entrypoint\n"
        "class Entry(chains.ChainletBase):\n"
        "    def __init__(self, socket: Socket = chains.depends(Socket)) -> None:\n"
        "        self._socket = socket\n\n"
        "    async def run_remote(self) -> None:\n"
        "        return None\n",
        encoding="utf-8",
    )
    result = run(chain, "--input", "{}")
    assert result.returncode == 2, describe(result)
    assert "`Entry` depends on `Socket`, whose run_remote takes a websocket" in result.stderr
    assert "Traceback" not in result.stderr
