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
into ``target`` with the allow and ignore patterns applied). A finished item leaves a
marker file ``.chains-weights-<hash>`` in its target; while it is there the item is not fetched
again, so a volume kept across restarts (a PersistentVolumeClaim, a Compose volume) is filled
once. ``secret`` names a declared secret holding an access token, read like the chainlet's
secrets (``CHAINS_SECRET_<key>``, else the file in the wiring's secrets folder).

Several replicas may share the volume (a ReadWriteMany claim): each item is fetched under an
exclusive ``fcntl.flock`` on its lock file ``.chains-weights-<hash>.lock`` in the target, so one
replica downloads and the others wait, then find the marker. (``flock`` holds across NFS
clients on Linux, which emulates it with NFS byte-range locks: EFS, Filestore, NFS v4.) Under
the lock, partial files a killed download left (``.<name>.<random>`` of an ``https`` item) are
removed first; Hugging Face downloads resume their own ``.incomplete`` files.

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
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from chains_runtime.contract import (
    CONFIG_ENV,
    CONFIG_FILE_ENV,
    DEFAULT_SECRETS_DIR,
    SECRET_ENV_PREFIX,
)

logger = logging.getLogger("chains_runtime.weights")

MARKER_PREFIX = ".chains-weights-"
MODEL_CACHE_DIR = Path("/app/model_cache")
"""Where truss puts ``ModelRepo(use_volume=True, volume_folder=X)``: ``/app/model_cache/X``."""


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
        if marker.exists():
            logger.info("weights %s: already in %s", item["source"], target)
            continue
        target.mkdir(parents=True, exist_ok=True)
        with _item_lock(item, target):
            if marker.exists():  # another replica fetched it while this one waited
                logger.info("weights %s: fetched by another replica", item["source"])
                continue
            if item["kind"] == "https":
                remove_partials(str(item["source"]), target)
            token = _token(item.get("secret"), env)
            logger.info("weights %s: downloading into %s", item["source"], target)
            if item["kind"] == "hf":
                _fetch_hf(item, target, token)
            elif item["kind"] == "https":
                _fetch_url(str(item["source"]), target, token)
            elif item["kind"] == "file":
                _copy_local(item, target)
            else:
                raise WeightsError(f"unknown weights kind {item['kind']!r}")
            marker.write_text(json.dumps(dict(item), sort_keys=True) + "\n", encoding="utf-8")
        fetched.append(str(target))
    return fetched


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
    name = Path(urllib.parse.urlsplit(url).path).name
    if not name:
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


def _copy_local(item: Mapping[str, Any], target: Path) -> None:
    """A ``file://`` source: the file, or the folder's files that pass the patterns."""
    source = Path(urllib.request.url2pathname(urllib.parse.urlsplit(str(item["source"])).path))
    allow = list(item.get("allow_patterns") or [])
    ignore = list(item.get("ignore_patterns") or [])
    try:
        if source.is_file():
            shutil.copyfile(source, target / source.name)
            return
        if not source.is_dir():
            raise WeightsError(f"weights {item['source']}: no such file or folder")
        for path in sorted(source.rglob("*")):
            relative = path.relative_to(source).as_posix()
            if not path.is_file() or relative.startswith(MARKER_PREFIX):
                continue
            if allow and not any(fnmatch.fnmatch(relative, p) for p in allow):
                continue
            if any(fnmatch.fnmatch(relative, p) for p in ignore):
                continue
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / relative)
    except OSError as exc:
        raise WeightsError(f"weights {item['source']}: {exc}") from exc


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
    name = Path(urllib.parse.urlsplit(url).path).name
    if not name:
        raise WeightsError(f"weights {url}: the URL names no file")
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
