"""Download a chainlet's declared weights into its cache volume, once.

The servers chains-build generates call :func:`ensure_weights` before serving when the chain
declares ``Assets(cached=[ModelRepo(...)])`` or ``Assets(weights=[WeightsSource(...)])``. Each
item is a dict (written into the generated server, so it needs no configuration)::

    {"kind": "hf", "source": "org/repo", "revision": "main", "target": "/app/model_cache/x",
     "allow_patterns": [...], "ignore_patterns": [...], "hub_cache": false,
     "secret": "hf_access_token"}

``kind`` is ``"hf"`` (a Hugging Face repo, through ``huggingface_hub.snapshot_download``:
into ``target`` itself, or with ``hub_cache`` into the hub cache at ``target``), ``"https"``
(one file, saved in ``target`` under the URL's last path segment) or, for ``chains-run`` only
(``chains_runtime.run.local_weights``), ``"file"`` (a local ``file://`` file or folder, copied
into ``target`` with the allow and ignore patterns applied; symlinked sub-folders are
followed, except one leading back to a folder it is in). A finished item leaves a marker file
``.chains-weights-<hash>`` in its target; while it is there the item is not fetched again, so a
volume kept across restarts (a PersistentVolumeClaim, a Compose volume) is filled once. A
``file`` item's marker also records the size and modification time of each file it copied: a
start that finds a source file changed, added or removed copies that file again (or removes its
copy, and the folders that held only copies), and leaves the unchanged ones alone. A marker
without that record (written by an older version, or edited) makes one full copy. A ``file``
source that is gone is an error, even where a copy of it is. ``secret`` names a declared secret
holding an access token, read like the chainlet's secrets (``CHAINS_SECRET_<key>``, else the
file in the wiring's secrets folder).

Several replicas may share the volume (a ReadWriteMany claim): each item is fetched under an
exclusive ``fcntl.flock`` on its lock file ``.chains-weights-<hash>.lock`` in the target, so one
replica downloads and the others wait, then find the marker. (``flock`` holds across NFS
clients on Linux, which emulates it with NFS byte-range locks: EFS, Filestore, NFS v4.) Under
the lock, partial files a killed download left (``.<name>.<random>`` of an ``https`` item,
``.chains-partial-<random>`` of a ``file`` item's copies) are removed first; Hugging Face
downloads resume their own ``.incomplete`` files. Copies and markers are written to a temporary
file and renamed into place, so a start killed midway leaves nothing that looks finished.

The generated server downloads before it serves (:func:`main_guard`), so the download counts
against the startup probe's window (``HealthChecks(startup_threshold_seconds=)``; liveness
starts only after it) and a failed download exits the container, which restarts and retries.
"""

from __future__ import annotations

import fcntl
import fnmatch
import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from chains_runtime import weights_rules
from chains_runtime.contract import (
    CONFIG_ENV,
    CONFIG_FILE_ENV,
    DEFAULT_SECRETS_DIR,
    SECRET_ENV_PREFIX,
)
from chains_runtime.weights_rules import WeightsRuleError

logger = logging.getLogger("chains_runtime.weights")

MARKER_PREFIX = ".chains-weights-"
MODEL_CACHE_DIR = Path(weights_rules.MODEL_CACHE_DIR)
"""Where truss puts ``ModelRepo(use_volume=True, volume_folder=X)``: ``/app/model_cache/X``."""
COPIED_KEY = "copied"
"""In a ``file`` item's marker: each copied file (relative to the target) and the source's
``[size, mtime_ns]`` when it was copied."""
PARTIAL_PREFIX = ".chains-partial-"
"""A copy or a marker being written: ``.chains-partial-<random>``, renamed into place once
complete."""

FileStates = dict[str, list[int]]


class WeightsError(RuntimeError):
    """A declared weights source could not be downloaded."""


def marker_name(item: Mapping[str, Any]) -> str:
    """The marker file of ``item``: changes when anything about the item changes."""
    text = json.dumps(dict(item), sort_keys=True, separators=(",", ":"))
    return MARKER_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:16]


def ensure_weights(
    items: Sequence[Mapping[str, Any]], *, environ: Mapping[str, str] | None = None
) -> list[str]:
    """Fetch every item that has no marker yet; the targets fetched now (for logs and tests)."""
    env = os.environ if environ is None else environ
    fetched = []
    for item in items:
        target = Path(str(item["target"]))
        marker = target / marker_name(item)
        if _is_current(item, marker, target):
            logger.info("weights %s: already in %s", item["source"], target)
            continue
        target.mkdir(parents=True, exist_ok=True)
        with _item_lock(item, target):
            if _is_current(item, marker, target):  # another replica fetched it meanwhile
                logger.info("weights %s: fetched by another replica", item["source"])
                continue
            if item["kind"] == "https":
                remove_partials(str(item["source"]), target)
            elif item["kind"] == "file":
                remove_copy_partials(str(item["source"]), target)
            token = _token(item.get("secret"), env)
            verb = "copying" if item["kind"] == "file" else "downloading"
            logger.info("weights %s: %s into %s", item["source"], verb, target)
            record = dict(item)
            if item["kind"] == "hf":
                _fetch_hf(item, target, token)
            elif item["kind"] == "https":
                _fetch_url(str(item["source"]), target, token)
            elif item["kind"] == "file":
                record[COPIED_KEY] = _copy_local(item, target, _copied_states(marker))
            else:
                raise WeightsError(f"unknown weights kind {item['kind']!r}")
            _write_marker(marker, record)
        fetched.append(str(target))
    return fetched


def _is_current(item: Mapping[str, Any], marker: Path, target: Path) -> bool:
    """Whether ``target`` holds ``item`` as it is now: its marker is there and, for a local
    ``file`` source, every file is as large and as old as when it was copied, and still there."""
    if not marker.exists():
        return False
    if item["kind"] != "file":
        return True  # downloads are fetched once per declaration: a new revision is a new item
    copied = _copied_states(marker)
    if copied != _source_states(item):
        return False
    return all((target / relative).is_file() for relative in copied)


def _copied_states(marker: Path) -> FileStates:
    """What a ``file`` item's marker says was copied; empty (so everything is copied again)
    when there is no such record or it is malformed: the marker is a file anyone may edit."""
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8")).get(COPIED_KEY)
    except (OSError, ValueError, AttributeError):
        return {}
    if not isinstance(recorded, dict) or not all(
        _is_plain_relative(relative) and _is_state(state) for relative, state in recorded.items()
    ):
        return {}
    return recorded


def _is_plain_relative(relative: object) -> bool:
    """A path below the target as the record writes it: ``a/b.bin``, no ``.``, ``..`` or ``//``."""
    return (
        isinstance(relative, str)
        and "\0" not in relative
        and all(part not in ("", ".", "..") for part in relative.split("/"))
    )


def _is_state(state: object) -> bool:
    return (
        isinstance(state, list)
        and len(state) == 2
        and all(type(number) is int for number in state)
    )


class _item_lock:
    """An exclusive ``flock`` on the item's lock file in ``target``, held for the download."""

    def __init__(self, item: Mapping[str, Any], target: Path) -> None:
        self._path = target / (marker_name(item) + ".lock")
        self._source = item["source"]
        self._fd = -1

    def __enter__(self) -> None:
        self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                logger.info("weights %s: another replica is downloading; waiting", self._source)
                fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(self._fd)
            raise

    def __exit__(self, *exc: object) -> None:
        os.close(self._fd)  # closing the last descriptor releases the lock


def remove_partials(url: str, target: Path) -> list[str]:
    """Delete what a killed download of ``url`` left in ``target`` (its ``.<name>.*`` temporary
    files); only called under the item's lock, so no live download owns them. The names
    removed."""
    try:
        name = weights_rules.url_file_name(url)
    except WeightsRuleError:
        return []
    removed = []
    for partial in sorted(target.glob(f".{_glob_escape(name)}.*")):
        if partial.is_file() and not partial.is_symlink():
            partial.unlink(missing_ok=True)
            removed.append(partial.name)
    if removed:
        logger.info("weights %s: removed %d partial file(s) of an interrupted download", url,
                    len(removed))
    return removed


def remove_copy_partials(source: str, target: Path) -> list[str]:
    """Delete what a killed copy of a ``file`` item left anywhere in ``target`` (its
    ``.chains-partial-<random>`` temporary files); only called under the item's lock. The
    paths removed, relative to ``target``."""
    removed = []
    for partial in sorted(target.rglob(PARTIAL_PREFIX + "*")):
        if partial.is_file() and not partial.is_symlink():
            partial.unlink(missing_ok=True)
            removed.append(partial.relative_to(target).as_posix())
    if removed:
        logger.info("weights %s: removed %d partial file(s) of an interrupted copy", source,
                    len(removed))
    return removed


def _glob_escape(name: str) -> str:
    return "".join(f"[{char}]" if char in "*?[" else char for char in name)


def main_guard(items: Sequence[Mapping[str, Any]]) -> int | None:
    """``ensure_weights`` for a generated server: None when done, else exit status 1 after
    one line on stderr saying what failed."""
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    try:
        ensure_weights(items)
    except (WeightsError, OSError) as exc:
        sys.stderr.write(f"chains_runtime.weights: {exc}\n")
        return 1
    return None


def _token(key: object, env: Mapping[str, str]) -> str | None:
    if not isinstance(key, str) or not key:
        return None
    if SECRET_ENV_PREFIX + key in env:
        return env[SECRET_ENV_PREFIX + key].strip() or None
    path = _secrets_dir(env) / key
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _secrets_dir(env: Mapping[str, str]) -> Path:
    text = env.get(CONFIG_ENV)
    if text is None and env.get(CONFIG_FILE_ENV):
        try:
            text = Path(env[CONFIG_FILE_ENV]).read_text(encoding="utf-8")
        except OSError:
            text = None
    try:
        found = json.loads(text).get("secrets_dir") if text else None
    except (ValueError, AttributeError):
        found = None
    return Path(found) if isinstance(found, str) else DEFAULT_SECRETS_DIR


def _fetch_hf(item: Mapping[str, Any], target: Path, token: str | None) -> None:
    try:
        from huggingface_hub import snapshot_download  # type: ignore[import-not-found]
    except ImportError:
        raise WeightsError(
            f"weights {item['source']}: huggingface_hub is not installed; add "
            "huggingface_hub to the chainlet's pip_requirements (for chains-run, pip install "
            "huggingface_hub where it runs)"
        ) from None
    where: dict[str, Any] = (
        {"cache_dir": str(target)} if item.get("hub_cache") else {"local_dir": str(target)}
    )
    try:
        snapshot_download(
            repo_id=str(item["source"]),
            revision=str(item.get("revision") or "") or None,
            allow_patterns=list(item.get("allow_patterns") or []) or None,
            ignore_patterns=list(item.get("ignore_patterns") or []) or None,
            token=token,
            **where,
        )
    except Exception as exc:  # the hub raises many kinds; each is a failed download here
        raise WeightsError(f"weights {item['source']}: {type(exc).__name__}: {exc}") from exc


def _copy_local(item: Mapping[str, Any], target: Path, copied: FileStates) -> FileStates:
    """A ``file://`` source: the file, or the folder's files that pass the patterns, copied
    unless ``copied`` (the marker's record) shows them unchanged. Copies of files the source no
    longer has are removed first, so a path may turn from a file into a folder or back. What
    was copied, for the marker."""
    files = _local_files(item, warn=True)
    states = _states(item, files)
    try:
        _remove_copies(target, copied.keys() - states.keys())
        for relative, state in states.items():
            destination = target / relative
            if copied.get(relative) == state and destination.is_file():
                continue
            _make_folders(target, relative)
            if destination.is_dir() and not destination.is_symlink():
                shutil.rmtree(destination)  # a folder where the source now has a file
            _replace_with_copy(files[relative], destination)
    except OSError as exc:
        raise WeightsError(f"weights {item['source']}: {exc}") from exc
    return states


def _remove_copies(target: Path, stale: Iterable[str]) -> None:
    """Delete the copies the marker records of files the source no longer has, then the
    folders that held them if that left them empty. Only a file inside ``target`` is removed,
    not one a symlink in it leads to elsewhere."""
    inside = target.resolve()
    for relative in sorted(stale):
        copy = target / relative
        try:
            if not copy.resolve().is_relative_to(inside):
                continue
        except (OSError, RuntimeError):  # a symlink loop: not a copy
            continue
        if copy.is_file():
            copy.unlink()
        folder = copy.parent
        while folder != target:
            try:
                folder.rmdir()
            except OSError:  # holds other files (or is not a plain folder): kept
                break
            folder = folder.parent


def _make_folders(target: Path, relative: str) -> None:
    """The folders ``relative`` is in, made in ``target``; a file or a symlink in the way (the
    source had a file there before) is replaced by the folder."""
    folder = target
    for part in relative.split("/")[:-1]:
        folder = folder / part
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            folder.unlink()
        folder.mkdir(exist_ok=True)


def _write_marker(marker: Path, record: Mapping[str, Any]) -> None:
    text = json.dumps(record, sort_keys=True) + "\n"
    _write_then_rename(marker, lambda partial: Path(partial).write_text(text, "utf-8"))


def _replace_with_copy(source: Path, destination: Path) -> None:
    _write_then_rename(destination, lambda partial: shutil.copyfile(source, partial))


def _write_then_rename(destination: Path, fill: Callable[[str], object]) -> None:
    """``fill`` a temporary file (``.chains-partial-<random>``) next to ``destination``, then
    rename it over ``destination``: a write cut short never looks finished."""
    handle, partial = tempfile.mkstemp(prefix=PARTIAL_PREFIX, dir=destination.parent)
    os.close(handle)
    try:
        fill(partial)
        os.chmod(partial, 0o644)
        os.replace(partial, destination)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def _source_states(item: Mapping[str, Any]) -> FileStates:
    return _states(item, _local_files(item))


def _states(item: Mapping[str, Any], files: Mapping[str, Path]) -> FileStates:
    """``[size, mtime_ns]`` of each file, by its path in the target. Taken before copying, so
    a file changed while it is copied is copied again on the next start."""
    try:
        return {relative: _state(path) for relative, path in files.items()}
    except OSError as exc:
        raise WeightsError(f"weights {item['source']}: {exc}") from exc


def _state(path: Path) -> list[int]:
    info = path.stat()
    return [info.st_size, info.st_mtime_ns]


def _local_files(item: Mapping[str, Any], *, warn: bool = False) -> dict[str, Path]:
    """The files of a ``file`` item, by their path in the target: the file itself, or the
    folder's files that pass the allow and ignore patterns (``warn``: log each symlinked
    folder skipped as a loop)."""
    try:
        source = weights_rules.local_path(str(item["source"]))
    except WeightsRuleError as exc:
        raise WeightsError(f"weights {item['source']}: {exc.reason}") from None
    if source.is_file():
        return {source.name: source}
    if not source.is_dir():
        raise WeightsError(
            f"weights {item['source']}: no such file or folder (a copy an earlier start made "
            "is not used in its place); restore it, or remove its WeightsSource from "
            "Assets(weights=[...])"
        )
    allow = list(item.get("allow_patterns") or [])
    ignore = list(item.get("ignore_patterns") or [])
    files = {}
    try:
        for relative, path in _walk(source, "", frozenset(), warn):
            if relative.startswith(MARKER_PREFIX) or path.name.startswith(PARTIAL_PREFIX):
                continue
            if allow and not any(fnmatch.fnmatch(relative, p) for p in allow):
                continue
            if any(fnmatch.fnmatch(relative, p) for p in ignore):
                continue
            files[relative] = path
    except OSError as exc:
        raise WeightsError(f"weights {item['source']}: {exc}") from exc
    return files


def _walk(
    folder: Path, prefix: str, above: frozenset[Path], warn: bool
) -> Iterator[tuple[str, Path]]:
    """The files under ``folder`` (named ``prefix`` + their path below it), following
    symlinked folders; one that leads back to a folder it is in (a loop) is skipped."""
    real = folder.resolve()
    if real in above:
        if warn:
            logger.warning(
                "weights: not copying %s: a symlink to %s, a folder it is in (a loop)",
                folder, real,
            )
        return
    above = above | {real}
    for entry in sorted(folder.iterdir()):
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}{entry.name}/", above, warn)
        elif entry.is_file():
            yield prefix + entry.name, entry


def _origin(url: str) -> tuple[str, str | None, int | None]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:  # not a port: not the origin the token was given for
        port = -1
    return scheme, parts.hostname, port


class _TokenKeepingRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects that keep ``Authorization`` only on the origin it was given for: urllib sends
    every header on, so a redirect to a CDN (or to ``http://``) would carry the token."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        redirected = super().redirect_request(req, fp, code, msg, headers, newurl)
        if redirected is not None and _origin(newurl) != _origin(req.full_url):
            redirected.remove_header("Authorization")
        return redirected


def _fetch_url(url: str, target: Path, token: str | None) -> None:
    try:
        name = weights_rules.url_file_name(url)
    except WeightsRuleError as exc:
        raise WeightsError(f"weights {url}: {exc.reason}") from None
    request = urllib.request.Request(url)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    handle, partial = tempfile.mkstemp(prefix=f".{name}.", dir=target)
    opener = urllib.request.build_opener(_TokenKeepingRedirects)
    try:
        with os.fdopen(handle, "wb") as out, opener.open(request, timeout=60) as got:
            shutil.copyfileobj(got, out, length=1 << 20)
        os.chmod(partial, 0o644)
        os.replace(partial, target / name)
    except OSError as exc:
        Path(partial).unlink(missing_ok=True)
        raise WeightsError(f"weights {url}: {exc}") from exc
