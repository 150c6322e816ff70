"""chains-build on a chain whose entrypoint takes a websocket: the manifests name the
websocket endpoint, the images carry the websocket package, the probes stay on HTTP; a
websocket chainlet used as a dependency stops the build at the lint step (CH416)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.build_helpers import build, write

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "websocket" / "chain.py"


def test_the_websocket_example_builds_with_its_endpoint_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    status, _, err = build(capsys, EXAMPLE, "-o", out)
    assert status == 0, err
    document = json.loads((out / "chain.json").read_text())
    chainlets = {c["class_name"]: c for c in document["chainlets"]}
    assert chainlets["LiveCounter"]["is_websocket"] is True
    assert chainlets["LiveCounter"]["endpoint"] == "/websocket"
    assert chainlets["WordCounter"]["is_websocket"] is False
    assert chainlets["WordCounter"]["endpoint"] == "/run_remote"
    compose = (out / "docker-compose.yaml").read_text()
    assert "live-counter answers on ws://localhost:8000/websocket" in compose
    assert "http://127.0.0.1:8080/readyz" in compose  # the healthcheck stays on HTTP
    runtime = (out / "LiveCounter" / "requirements-runtime.txt").read_text().splitlines()
    assert any(line.startswith("websockets") for line in runtime), runtime
    manifest = (out / "k8s" / "live-counter.yaml").read_text()
    assert "path: /readyz" in manifest and "path: /healthz" in manifest


def test_a_websocket_dependency_stops_the_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(
        tmp_path,
        "chain.py",
        """
import truss_chains as chains


class Socket(chains.ChainletBase):
    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.send_text("hi")


@chains.mark_entrypoint
class Entry(chains.ChainletBase):
    def __init__(self, socket: Socket = chains.depends(Socket)) -> None:
        self._socket = socket

    async def run_remote(self, x: int) -> int:
        return x
""",
    )
    status, out, err = build(capsys, path, "-o", tmp_path / "out")
    assert status != 0
    assert "CH416" in out and "whose `run_remote` takes a websocket" in out
    assert "lint error" in err
    assert not (tmp_path / "out").exists()
