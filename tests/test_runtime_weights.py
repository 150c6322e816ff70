"""``chains_runtime.weights``: declared weights downloaded into the cache folder once.

URLs are served by a real HTTP server on loopback; Hugging Face repos go through a stand-in
``huggingface_hub`` module (no network here) that records what it was asked and writes a file
like the real ``snapshot_download`` would.
"""

from __future__ import annotations

import http.server
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from chains_runtime.weights import (
    PARTIAL_PREFIX,
    WeightsError,
    ensure_weights,
    main_guard,
    marker_name,
)


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


# `file://` sources: copied again when they change, and only what changed ################


def file_item(source: Path, target: Path, **patterns: list[str]) -> dict[str, Any]:
    return {
        "kind": "file", "source": source.as_uri(), "revision": "", "target": str(target),
        "allow_patterns": patterns.get("allow", []), "ignore_patterns": patterns.get("ignore", []),
        "hub_cache": False, "secret": None,
    }  # fmt: skip


def identity(path: Path) -> tuple[int, int]:
    """The inode and modification time of a copy: both change when it is copied again."""
    info = path.stat()
    return info.st_ino, info.st_mtime_ns


def copied_record(item: dict[str, Any]) -> dict[str, list[int]]:
    marker = Path(item["target"]) / marker_name(item)
    record: dict[str, list[int]] = json.loads(marker.read_text())["copied"]
    return record


def test_a_changed_local_file_is_copied_again_and_only_it(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "mnt"
    (source / "sub").mkdir(parents=True)
    (source / "labels.json").write_text('["cat"]')
    (source / "sub" / "vocab.txt").write_text("a b c")
    (source / "README.md").write_text("ignored")
    item = file_item(source, target, ignore=["*.md"])
    assert ensure_weights([item], environ={}) == [str(target)]
    assert sorted(copied_record(item)) == ["labels.json", "sub/vocab.txt"]
    vocab = identity(target / "sub" / "vocab.txt")
    labels = identity(target / "labels.json")
    # Nothing changed: nothing is copied.
    assert ensure_weights([item], environ={}) == []
    assert identity(target / "labels.json") == labels
    # An edit that changes the size: that file alone is copied, the record follows.
    (source / "labels.json").write_text('["cat", "dog"]')
    assert ensure_weights([item], environ={}) == [str(target)]
    assert (target / "labels.json").read_text() == '["cat", "dog"]'
    assert identity(target / "sub" / "vocab.txt") == vocab
    stat = (source / "labels.json").stat()
    assert copied_record(item)["labels.json"] == [stat.st_size, stat.st_mtime_ns]
    # The same size, written later: copied again too.
    (source / "sub" / "vocab.txt").write_text("x y z")
    os.utime(source / "sub" / "vocab.txt", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert ensure_weights([item], environ={}) == [str(target)]
    assert (target / "sub" / "vocab.txt").read_text() == "x y z"
    assert identity(target / "sub" / "vocab.txt") != vocab


def test_files_added_removed_or_lost_in_the_copy_are_caught_up(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "mnt"
    source.mkdir()
    (source / "a.bin").write_bytes(b"a")
    (source / "b.bin").write_bytes(b"b")
    item = file_item(source, target)
    ensure_weights([item], environ={})
    (target / "mine.txt").write_text("the user's own file")
    kept = identity(target / "a.bin")
    (source / "b.bin").unlink()
    (source / "c.bin").write_bytes(b"c")
    assert ensure_weights([item], environ={}) == [str(target)]
    assert sorted(p.name for p in target.iterdir() if not p.name.startswith(".")) == [
        "a.bin", "c.bin", "mine.txt",  # b.bin's copy removed; a file it never copied kept
    ]  # fmt: skip
    assert identity(target / "a.bin") == kept
    # A copy deleted from the target is restored on the next start.
    (target / "a.bin").unlink()
    assert ensure_weights([item], environ={}) == [str(target)]
    assert (target / "a.bin").read_bytes() == b"a"


def test_a_single_file_source_is_refreshed_and_a_vanished_one_is_an_error(
    tmp_path: Path,
) -> None:
    source, target = tmp_path / "model.bin", tmp_path / "mnt"
    source.write_bytes(b"v1")
    item = file_item(source, target)
    assert ensure_weights([item], environ={}) == [str(target)]
    source.write_bytes(b"version 2")
    assert ensure_weights([item], environ={}) == [str(target)]
    assert (target / "model.bin").read_bytes() == b"version 2"
    source.unlink()  # the stale copy is not served as if it were the source
    with pytest.raises(WeightsError) as raised:
        ensure_weights([item], environ={})
    assert str(raised.value) == (
        f"weights {item['source']}: no such file or folder (a copy an earlier start made is "
        "not used in its place); restore it, or remove its WeightsSource from "
        "Assets(weights=[...])"
    )


def tree(folder: Path) -> dict[str, str]:
    """The files under ``folder`` and their text, markers and lock files left out."""
    return {
        path.relative_to(folder).as_posix(): path.read_text()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".chains-weights-")
    }


def test_a_path_turning_from_a_file_into_a_folder_and_back_is_followed(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "mnt"
    source.mkdir()
    (source / "a.txt").write_text("a file")
    (source / "keep.txt").write_text("kept")
    item = file_item(source, target)
    ensure_weights([item], environ={})
    # a.txt becomes a folder (two levels deep).
    (source / "a.txt").unlink()
    (source / "a.txt" / "deep").mkdir(parents=True)
    (source / "a.txt" / "deep" / "b.txt").write_text("in a folder")
    assert ensure_weights([item], environ={}) == [str(target)]
    assert tree(target) == {"a.txt/deep/b.txt": "in a folder", "keep.txt": "kept"}
    # And back: the folders that held only copies go, the file takes their place.
    (source / "a.txt" / "deep" / "b.txt").unlink()
    (source / "a.txt" / "deep").rmdir()
    (source / "a.txt").rmdir()
    (source / "a.txt").write_text("a file again")
    assert ensure_weights([item], environ={}) == [str(target)]
    assert tree(target) == {"a.txt": "a file again", "keep.txt": "kept"}
    assert ensure_weights([item], environ={}) == []


@pytest.mark.parametrize("to_folder", [True, False], ids=["file-to-folder", "folder-to-file"])
def test_without_a_record_a_copy_of_the_wrong_type_is_replaced(
    tmp_path: Path, to_folder: bool
) -> None:
    """A marker without its record (an older version's) removes no copies: the copy in the
    way, a file where a folder goes or the other way round, is replaced."""
    source, target = tmp_path / "src", tmp_path / "mnt"
    (source / "a.txt" if to_folder else source).mkdir(parents=True)
    if to_folder:
        (source / "a.txt" / "b.txt").write_text("in a folder")
        (target).mkdir()
        (target / "a.txt").write_text("an old copy of a file")
    else:
        (source / "a.txt").write_text("a file")
        (target / "a.txt").mkdir(parents=True)
        (target / "a.txt" / "b.txt").write_text("an old copy in a folder")
    item = file_item(source, target)
    (target / marker_name(item)).write_text(json.dumps(item))  # no "copied"
    assert ensure_weights([item], environ={}) == [str(target)]
    expected = {"a.txt/b.txt": "in a folder"} if to_folder else {"a.txt": "a file"}
    assert tree(target) == expected


def test_a_folder_emptied_of_copies_is_removed_but_not_one_holding_other_files(
    tmp_path: Path,
) -> None:
    source, target = tmp_path / "src", tmp_path / "mnt"
    (source / "gone" / "sub").mkdir(parents=True)
    (source / "mixed").mkdir()
    (source / "gone" / "sub" / "x.bin").write_bytes(b"x")
    (source / "mixed" / "y.bin").write_bytes(b"y")
    (source / "top.bin").write_bytes(b"t")
    item = file_item(source, target)
    ensure_weights([item], environ={})
    (target / "mixed" / "mine.txt").write_text("the user's")
    for path in (source / "gone" / "sub" / "x.bin", source / "mixed" / "y.bin"):
        path.unlink()
    (source / "gone" / "sub").rmdir()
    (source / "gone").rmdir()
    ensure_weights([item], environ={})
    assert not (target / "gone").exists()
    assert tree(target) == {"mixed/mine.txt": "the user's", "top.bin": "t"}


def a_copied_folder(tmp_path: Path) -> dict[str, Any]:
    """``src`` (with ``a.bin``, ``sub/b.bin``) copied into ``mnt``: the item."""
    source = tmp_path / "src"
    (source / "sub").mkdir(parents=True)
    (source / "a.bin").write_text("a")
    (source / "sub" / "b.bin").write_text("b")
    item = file_item(source, tmp_path / "mnt")
    ensure_weights([item], environ={})
    return item


def edit_record(item: dict[str, Any], copied: object) -> None:
    """Rewrite the marker's record of copies, as a user (or an older version) might."""
    marker = Path(item["target"]) / marker_name(item)
    record = json.loads(marker.read_text())
    if copied is None:
        del record["copied"]
    else:
        record["copied"] = copied
    marker.write_text(json.dumps(record))


@pytest.mark.parametrize("key", [".", "", "../x", "/abs", "sub/../../x", "a//b", "nul\0"])
def test_a_marker_recording_a_path_outside_the_copies_is_treated_as_no_record(
    tmp_path: Path, key: str
) -> None:
    item = a_copied_folder(tmp_path)
    target = Path(item["target"])
    outside = tmp_path / "x"
    outside.write_text("not a copy")
    edit_record(item, {**copied_record(item), key: [1, 2]})
    kept = identity(target / "a.bin")
    # Copied again in full (the record is not trusted), nothing removed, the target in place.
    assert ensure_weights([item], environ={}) == [str(target)]
    assert identity(target / "a.bin") != kept
    assert tree(target) == {"a.bin": "a", "sub/b.bin": "b"}
    assert outside.read_text() == "not a copy"
    assert sorted(copied_record(item)) == ["a.bin", "sub/b.bin"]
    assert ensure_weights([item], environ={}) == []


@pytest.mark.parametrize("copied", [["a.bin"], {"a.bin": "big"}, {"a.bin": [1]}, "x"])
def test_a_malformed_record_is_treated_as_no_record(tmp_path: Path, copied: object) -> None:
    item = a_copied_folder(tmp_path)
    edit_record(item, copied)
    assert ensure_weights([item], environ={}) == [item["target"]]
    assert sorted(copied_record(item)) == ["a.bin", "sub/b.bin"]


def test_a_recorded_copy_reached_through_a_symlink_out_of_the_target_is_not_removed(
    tmp_path: Path,
) -> None:
    item = a_copied_folder(tmp_path)
    target = Path(item["target"])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "secret.txt").write_text("not a copy")
    (target / "link").symlink_to(elsewhere, target_is_directory=True)
    (target / "file-link").symlink_to(elsewhere / "secret.txt")
    (target / "loop").symlink_to("loop")
    record = copied_record(item)
    edit_record(
        item, {**record, "link/secret.txt": [10, 1], "file-link": [10, 1], "loop/x": [1, 1]}
    )
    assert ensure_weights([item], environ={}) == [str(target)]
    assert (elsewhere / "secret.txt").read_text() == "not a copy"
    assert (target / "link").is_symlink() and (target / "file-link").is_symlink()
    assert copied_record(item) == record


def test_a_marker_from_an_older_version_makes_one_full_copy(tmp_path: Path) -> None:
    item = a_copied_folder(tmp_path)
    target = Path(item["target"])
    edit_record(item, None)  # as written before the record existed
    kept = identity(target / "sub" / "b.bin")
    assert ensure_weights([item], environ={}) == [str(target)]
    assert identity(target / "sub" / "b.bin") != kept
    assert sorted(copied_record(item)) == ["a.bin", "sub/b.bin"]
    assert ensure_weights([item], environ={}) == []


def test_symlinked_folders_are_followed_and_a_loop_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source, target, elsewhere = tmp_path / "src", tmp_path / "mnt", tmp_path / "elsewhere"
    (source / "real").mkdir(parents=True)
    (source / "real" / "a.txt").write_text("a")
    elsewhere.mkdir()
    (elsewhere / "b.txt").write_text("b")
    (source / "linked").symlink_to(elsewhere, target_is_directory=True)
    (source / "again").symlink_to(elsewhere, target_is_directory=True)  # not a loop: copied
    (elsewhere / "back").symlink_to(source, target_is_directory=True)  # a loop
    (source / "real" / "up").symlink_to("..", target_is_directory=True)  # a loop
    item = file_item(source, target)
    with caplog.at_level(logging.WARNING, logger="chains_runtime.weights"):
        assert ensure_weights([item], environ={}) == [str(target)]
    assert tree(target) == {"again/b.txt": "b", "linked/b.txt": "b", "real/a.txt": "a"}
    assert not (target / "linked").is_symlink()  # a folder of copies, not a link
    warnings = sorted(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert warnings == [
        f"weights: not copying {source / 'again' / 'back'}: a symlink to {source}, a folder "
        "it is in (a loop)",
        f"weights: not copying {source / 'linked' / 'back'}: a symlink to {source}, a folder "
        "it is in (a loop)",
        f"weights: not copying {source / 'real' / 'up'}: a symlink to {source}, a folder it "
        "is in (a loop)",
    ]
    # A change behind the link is seen like any other.
    (elsewhere / "b.txt").write_text("b, longer")
    assert ensure_weights([item], environ={}) == [str(target)]
    assert (target / "linked" / "b.txt").read_text() == "b, longer"


def test_partial_copies_a_killed_start_left_are_removed_on_the_next(tmp_path: Path) -> None:
    source, target = tmp_path / "src", tmp_path / "mnt"
    (source / "sub").mkdir(parents=True)
    (source / "a.bin").write_text("a")
    (source / "sub" / "b.bin").write_text("b")
    (source / ".chains-partial-x").write_text("never copied: the name of a partial copy")
    # What a start killed while copying leaves: temporary files, made as it makes them.
    (target / "sub").mkdir(parents=True)
    for folder in (target, target / "sub"):
        handle, _ = tempfile.mkstemp(prefix=PARTIAL_PREFIX, dir=folder)
        os.close(handle)
    (target / ".chains-partialness").write_text("not ours")
    (target / "sub" / "b.bin.chains-partial-1").write_text("not ours")
    item = file_item(source, target)
    assert ensure_weights([item], environ={}) == [str(target)]
    assert tree(target) == {
        ".chains-partialness": "not ours",
        "a.bin": "a",
        "sub/b.bin": "b",
        "sub/b.bin.chains-partial-1": "not ours",
    }
    assert (target / marker_name(item)).is_file()
