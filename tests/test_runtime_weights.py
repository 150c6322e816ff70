"""``chains_runtime.weights``: declared weights downloaded into the cache folder once.

URLs are served by a real HTTP server on loopback; Hugging Face repos go through a stand-in
``huggingface_hub`` module (no network here) that records what it was asked and writes a file
like the real ``snapshot_download`` would.
"""

from __future__ import annotations

import http.server
import json
import os
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from chains_runtime.weights import WeightsError, ensure_weights, main_guard, marker_name


class _Files(http.server.BaseHTTPRequestHandler):
    requests: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        _Files.requests.append((self.path, self.headers.get("Authorization")))
        if self.path != "/files/model.bin":
            self.send_error(404)
            return
        body = b"weights" * 1000
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def files_url() -> Iterator[str]:
    _Files.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def url_item(url: str, target: Path, secret: str | None = None) -> dict[str, Any]:
    return {
        "kind": "https", "source": url, "revision": "", "target": str(target),
        "allow_patterns": [], "ignore_patterns": [], "hub_cache": False, "secret": secret,
        "link": None,
    }


def test_a_file_is_downloaded_once_with_the_declared_token(
    files_url: str, tmp_path: Path
) -> None:
    target = tmp_path / "cache" / "mount-0"
    item = url_item(f"{files_url}/files/model.bin", target, secret="hf_access_token")
    env = {"CHAINS_SECRET_hf_access_token": "tok-123\n"}
    assert ensure_weights([item], environ=env) == [str(target)]
    assert (target / "model.bin").read_bytes() == b"weights" * 1000
    assert (target / marker_name(item)).is_file()
    assert _Files.requests == [("/files/model.bin", "Bearer tok-123")]
    # A restart with the volume kept: nothing is fetched again.
    assert ensure_weights([item], environ=env) == []
    assert len(_Files.requests) == 1
    # A changed declaration is a new item: fetched again.
    changed = {**item, "revision": "x"}
    assert ensure_weights([changed], environ=env) == [str(target)]


def test_the_token_is_read_from_the_wirings_secrets_folder(
    files_url: str, tmp_path: Path
) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "token").write_text("from-file")
    env = {"CHAINS_CONFIG": json.dumps({"chainlet": "X", "secrets_dir": str(secrets)})}
    item = url_item(f"{files_url}/files/model.bin", tmp_path / "t", secret="token")
    ensure_weights([item], environ=env)
    assert _Files.requests == [("/files/model.bin", "Bearer from-file")]


def test_a_failed_download_leaves_no_marker_and_no_partial_file(
    files_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    target = tmp_path / "t"
    item = url_item(f"{files_url}/files/missing.bin", target)
    with pytest.raises(WeightsError, match="404"):
        ensure_weights([item], environ={})
    assert list(target.iterdir()) == []
    for name in [name for name in os.environ if name.startswith("CHAINS_")]:
        monkeypatch.delenv(name)
    assert main_guard([item]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("chains_runtime.weights: weights http://")


def fake_hub(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def snapshot_download(**kwargs: Any) -> str:
        calls.append(kwargs)
        folder = Path(kwargs.get("local_dir") or kwargs["cache_dir"])
        (folder / "config.json").write_text("{}")
        return str(folder)

    module = types.ModuleType("huggingface_hub")
    module.snapshot_download = snapshot_download  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "huggingface_hub", module)
    return calls


def test_hugging_face_repos_go_to_their_folder_or_to_the_hub_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_hub(monkeypatch)
    folder = {
        "kind": "hf", "source": "org/model", "revision": "main",
        "target": str(tmp_path / "model"), "allow_patterns": ["*.json"], "ignore_patterns": [],
        "hub_cache": False, "secret": "hf_access_token", "link": None,
    }
    hub = {**folder, "source": "org/tok", "revision": "", "allow_patterns": [],
           "target": str(tmp_path / "hub"), "hub_cache": True}
    ensure_weights([folder, hub], environ={"CHAINS_SECRET_hf_access_token": "hf_x"})
    assert calls == [
        {"repo_id": "org/model", "revision": "main", "allow_patterns": ["*.json"],
         "ignore_patterns": None, "token": "hf_x", "local_dir": str(tmp_path / "model")},
        {"repo_id": "org/tok", "revision": None, "allow_patterns": None,
         "ignore_patterns": None, "token": "hf_x", "cache_dir": str(tmp_path / "hub")},
    ]
    ensure_weights([folder, hub], environ={})
    assert len(calls) == 2


def test_without_huggingface_hub_the_error_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    item = {"kind": "hf", "source": "org/model", "revision": "", "target": str(tmp_path / "m")}
    with pytest.raises(WeightsError, match="add huggingface_hub to the chainlet's pip_req"):
        ensure_weights([item], environ={})
