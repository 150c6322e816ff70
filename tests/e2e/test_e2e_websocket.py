"""The websocket example built into images and run with its docker-compose.yaml: a real
websocket client talks to the entrypoint container through the published port, and the
entrypoint calls its HTTP dependency in the other container for every message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.e2e.compose_chain import compose_chain
from tests.e2e.conftest import BuildOnce

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "websocket" / "chain.py"
API_KEY = "e2e-websocket-key-2468"
WAIT_SEC = 60.0


def test_websocket_example_in_containers(build_once: BuildOnce) -> None:
    built = build_once(EXAMPLE)
    entry = built.entrypoint
    assert entry.class_name == "LiveCounter" and not entry.is_streaming
    manifest = json.loads((built.out / "chain.json").read_text(encoding="utf-8"))
    endpoints = {c["class_name"]: c["endpoint"] for c in manifest["chainlets"]}
    assert endpoints == {"LiveCounter": "/websocket", "WordCounter": "/run_remote"}
    with compose_chain(built, api_key=API_KEY) as chain:  # ready: /readyz over HTTP
        url = chain.url.replace("http://", "ws://") + "/websocket"
        with pytest.raises(InvalidStatus) as refused, connect(url, open_timeout=WAIT_SEC):
            pass
        assert refused.value.response.status_code == 401
        headers = {"x-api-key": API_KEY, "x-request-id": "e2e-ws-1"}
        with connect(url, open_timeout=WAIT_SEC, additional_headers=headers) as ws:
            assert ws.response is not None
            assert ws.response.headers["x-request-id"] == "e2e-ws-1"
            ws.send("one two three")
            first = json.loads(ws.recv(timeout=WAIT_SEC))
            ws.send("four")
            second = json.loads(ws.recv(timeout=WAIT_SEC))
            ws.send("bye")
            with pytest.raises(ConnectionClosed) as closed:
                ws.recv(timeout=WAIT_SEC)
        assert first == {"message": 1, "words": 3, "total_words": 3}
        assert second == {"message": 2, "words": 1, "total_words": 4}
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000
        logs = chain.logs("LiveCounter", tail=200)
        assert "request_id=e2e-ws-1" in logs and "status=101" in logs
        assert API_KEY not in chain.logs()
