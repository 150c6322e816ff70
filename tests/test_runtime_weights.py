"""``chains_runtime.weights``: declared weights downloaded into the cache folder once.

URLs are served by a real HTTP server on loopback; Hugging Face repos go through a stand-in
``huggingface_hub`` module (no network here) that records what it was asked and writes a file
like the real ``snapshot_download`` would.
"""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
import time
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
    # Only the (unlocked) lock file: no marker, no partial download.
    assert [path.name for path in target.iterdir()] == [marker_name(item) + ".lock"]
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


# --- Interrupted downloads and replicas sharing a volume ----------------------------------

RUN_ITEMS = (
    "import json, sys\n"
    "from chains_runtime.weights import main_guard\n"
    "sys.exit(main_guard(json.loads(sys.argv[1])) or 0)\n"
)
"""A replica's start: ``main_guard`` of the items given as JSON (as the generated server)."""


class _Stalling(http.server.BaseHTTPRequestHandler):
    """Sends the first half of /files/big.bin, then waits until the client goes away."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(2 << 20))
        self.end_headers()
        self.wfile.write(b"x" * (1 << 20))
        self.wfile.flush()
        self.rfile.read(1)  # blocks until the killed client's socket closes

    def log_message(self, *args: Any) -> None:
        pass


def _wait_for(condition: Any, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _replica(items: list[dict[str, Any]], log: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}
    environ.update(env)
    return subprocess.Popen(
        [sys.executable, "-c", RUN_ITEMS, json.dumps(items)],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
        text=True,
    )


def test_a_killed_download_leaves_a_partial_file_the_next_start_removes(
    files_url: str, tmp_path: Path
) -> None:
    stalling = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Stalling)
    threading.Thread(target=stalling.serve_forever, daemon=True).start()
    target = tmp_path / "t"
    try:
        url = f"http://127.0.0.1:{stalling.server_address[1]}/files/model.bin"
        replica = _replica([url_item(url, target)], tmp_path / "a.log", {})

        def partials() -> list[Path]:
            return [p for p in target.glob(".model.bin.*") if p.stat().st_size > 0]

        _wait_for(partials, "the partial download")
        replica.kill()  # SIGKILL: no cleanup runs
        replica.wait(10)
        (orphan,) = partials()
    finally:
        stalling.shutdown()
        stalling.server_close()
    # The next start (same file name, served in full now) removes the orphan first.
    item = url_item(f"{files_url}/files/model.bin", target)
    assert ensure_weights([item], environ={}) == [str(target)]
    assert not orphan.exists()
    kept = sorted(p.name for p in target.iterdir() if not p.name.endswith(".lock"))
    assert kept == sorted(["model.bin", marker_name(item)])
    assert (target / "model.bin").read_bytes() == b"weights" * 1000


FAKE_SLOW_HUB = '''
"""snapshot_download that logs its call, then waits for a release file."""
import os, time
from pathlib import Path


def snapshot_download(**kwargs):
    folder = Path(kwargs["local_dir"])
    with open(os.environ["HUB_CALLS"], "a") as log:
        log.write(kwargs["repo_id"] + "\\n")
    while not Path(os.environ["HUB_RELEASE"]).exists():
        time.sleep(0.02)
    (folder / "config.json").write_text("{}")
    return str(folder)
'''


def test_replicas_on_one_volume_download_an_item_once(tmp_path: Path) -> None:
    hub = tmp_path / "fakehub"
    hub.mkdir()
    (hub / "huggingface_hub.py").write_text(FAKE_SLOW_HUB)
    calls, release = tmp_path / "calls.log", tmp_path / "release"
    env = {
        "PYTHONPATH": os.pathsep.join([str(hub), os.environ.get("PYTHONPATH", "")]),
        "HUB_CALLS": str(calls),
        "HUB_RELEASE": str(release),
    }
    item = {
        "kind": "hf", "source": "org/model", "revision": "v1", "target": str(tmp_path / "m"),
        "allow_patterns": [], "ignore_patterns": [], "hub_cache": False, "secret": None,
        "link": None,
    }
    first = _replica([item], tmp_path / "first.log", env)
    _wait_for(lambda: calls.exists() and calls.read_text() == "org/model\n", "the first download")
    second = _replica([item], tmp_path / "second.log", env)
    _wait_for(
        lambda: "another replica is downloading; waiting" in (tmp_path / "second.log").read_text(),
        "the second replica to wait on the lock",
    )
    release.touch()
    assert first.wait(30) == 0, (tmp_path / "first.log").read_text()
    assert second.wait(30) == 0, (tmp_path / "second.log").read_text()
    assert calls.read_text() == "org/model\n"  # one download for both
    assert "fetched by another replica" in (tmp_path / "second.log").read_text()
    assert (tmp_path / "m" / marker_name(item)).exists()
