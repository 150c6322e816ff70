"""Declared weights for ``chains-run``: fetched before the chain starts, where truss puts them.

A chainlet's ``Assets(cached=[ModelRepo(...)], weights=[WeightsSource(...)])`` land at the
paths its code reads in a deployment, so that code runs unchanged:

- ``ModelRepo(use_volume=True, volume_folder="X")``: ``/app/model_cache/X``;
- ``ModelRepo(...)`` without ``use_volume``: the local Hugging Face hub cache (``HF_HUB_CACHE``,
  else ``$HF_HOME/hub``, else ``~/.cache/huggingface/hub``), where truss's image build puts it
  and ``from_pretrained(repo_id)`` looks;
- ``WeightsSource(source=..., mount_location="/abs/path")``: ``/abs/path``.

Sources: ``hf://org/repo[@revision]`` and ``ModelRepo`` through ``huggingface_hub`` (which
honours ``HF_ENDPOINT`` and ``HF_HUB_OFFLINE``), ``https://`` files, and, for local development
only, ``file://`` files or folders (``chains-build`` refuses them: an image cannot reach them).
Each item is fetched once: ``chains_runtime.weights`` leaves a marker in its folder, so the
next run starts at once. Tokens come from the secrets given to ``chains-run`` (the item's
``runtime_secret_name`` / ``auth_secret_name``, when the chainlet declares that key).
"""

from __future__ import annotations

import errno
import os
from collections.abc import Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from chains_runtime.asset_types import ModelRepo, ModelRepoSourceKind, WeightsSource
from chains_runtime.chainlet import ChainletBase
from chains_runtime.contract import SECRET_ENV_PREFIX
from chains_runtime.errors import ChainsUsageError
from chains_runtime.weights import MODEL_CACHE_DIR, WeightsError, ensure_weights

HF_TOKEN_KEY = "hf_access_token"
_AssetT = TypeVar("_AssetT", ModelRepo, WeightsSource)
_SCHEMES = ("hf://", "https://", "file://")
_NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})


class LocalWeightsError(ChainsUsageError):
    """A declared weights source that ``chains-run`` cannot fetch (a usage error, exit 2)."""


def hub_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The local Hugging Face hub cache, as ``huggingface_hub`` finds it."""
    env = os.environ if environ is None else environ
    if env.get("HF_HUB_CACHE"):
        return Path(env["HF_HUB_CACHE"])
    if env.get("HF_HOME"):
        return Path(env["HF_HOME"]) / "hub"
    cache = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return cache / "huggingface" / "hub"


def weights_items(
    chainlet_cls: type[ChainletBase], environ: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """The items ``chains_runtime.weights`` fetches for one chainlet, at truss's paths."""
    assets = chainlet_cls.remote_config.assets
    declared = set(assets.secret_keys)
    name = chainlet_cls.__name__
    items = [_model_repo(name, _typed(name, repo, ModelRepo), declared, environ)
             for repo in assets.cached]
    items += [_weights_source(name, _typed(name, source, WeightsSource), declared)
              for source in assets.weights]
    targets = [item["target"] for item in items if not item["hub_cache"]]
    for target in targets:
        if targets.count(target) > 1:
            raise LocalWeightsError(
                f"chainlet `{name}`: two weights sources go to {target}; give each its own "
                "volume_folder or mount_location"
            )
    return items


def chain_weights(
    chainlets: Sequence[type[ChainletBase]], environ: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Every chainlet's items, each target once (two chainlets may declare the same repo)."""
    found: dict[str, dict[str, Any]] = {}
    for chainlet_cls in chainlets:
        for item in weights_items(chainlet_cls, environ):
            key = item["target"] + ("|" + item["source"] if item["hub_cache"] else "")
            other = found.setdefault(key, item)
            if other != item:
                raise LocalWeightsError(
                    f"two chainlets declare different weights for {item['target']} "
                    f"({other['source']} and {item['source']}); one folder holds one source"
                )
    return list(found.values())


def fetch_weights(
    items: Sequence[Mapping[str, Any]], secret_values: Mapping[str, str]
) -> list[str]:
    """Fetch what is not there yet; the folders fetched now. ``WeightsError`` when a download
    fails, ``LocalWeightsError`` when a folder cannot be made (saying how to make it)."""
    environ = {SECRET_ENV_PREFIX + key: value for key, value in secret_values.items()}
    try:
        return ensure_weights(items, environ=environ)
    except WeightsError:
        raise
    except OSError as exc:
        if exc.errno not in _NOT_WRITABLE:
            raise WeightsError(str(exc)) from exc
        folder = exc.filename or "the weights folder"
        raise LocalWeightsError(
            f"chains-run cannot write {folder} ({exc.strerror}), where the chain's code reads "
            f"its weights; create it once for your user (sudo mkdir -p {folder} && sudo chown "
            f"$USER {folder}), or run the chain in its image (chains-build)"
        ) from None


def _typed(chainlet: str, value: object, kind: type[_AssetT]) -> _AssetT:
    if not isinstance(value, kind):
        field = "cached" if kind is ModelRepo else "weights"
        raise LocalWeightsError(
            f"chainlet `{chainlet}`: Assets({field}=[...]) holds {value!r}; expected "
            f"`chains.{kind.__name__}(...)`"
        )
    return value


def _model_repo(
    chainlet: str, repo: ModelRepo, declared: set[str], environ: Mapping[str, str] | None
) -> dict[str, Any]:
    if repo.kind is not ModelRepoSourceKind.HF:
        raise LocalWeightsError(
            f"chainlet `{chainlet}`: ModelRepo(kind={repo.kind.value!r}): chains-run fetches "
            "Hugging Face repos (and hf://, https://, file:// WeightsSource); fetch other "
            "stores in __init__"
        )
    if repo.use_volume:
        folder = repo.volume_folder or ""
        plain = all(c.isalnum() or c in "._-" for c in folder)
        if not folder or folder in (".", "..") or not plain:
            raise LocalWeightsError(
                f"chainlet `{chainlet}`: ModelRepo(repo_id={repo.repo_id!r}, use_volume=True) "
                'needs volume_folder="<name>", one folder name (letters, digits, ., _, -)'
            )
        target, hub = str(MODEL_CACHE_DIR / folder), False
    else:
        target, hub = str(hub_cache_dir(environ)), True
    secret = repo.runtime_secret_name or HF_TOKEN_KEY
    return _item(
        "hf", repo.repo_id, repo.revision, target, repo.allow_patterns, repo.ignore_patterns,
        hub, secret if secret in declared else None,
    )


def _weights_source(chainlet: str, source: WeightsSource, declared: set[str]) -> dict[str, Any]:
    uri, location = source.source, source.mount_location
    path = PurePosixPath(location)
    if not path.is_absolute() or ".." in path.parts or path == PurePosixPath("/"):
        raise LocalWeightsError(
            f"chainlet `{chainlet}`: WeightsSource(mount_location={location!r}) must be an "
            "absolute folder such as /models/llama"
        )
    secret = source.auth_secret_name
    patterns = (source.allow_patterns, source.ignore_patterns)
    if uri.startswith("hf://"):
        repo, _, revision = uri.removeprefix("hf://").partition("@")
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise LocalWeightsError(
                f"chainlet `{chainlet}`: WeightsSource(source={uri!r}): write hf://<org>/<repo> "
                "or hf://<org>/<repo>@<revision>"
            )
        key = secret or HF_TOKEN_KEY
        return _item("hf", repo, revision, location, *patterns, False,
                     key if key in declared else None)
    if uri.startswith(("https://", "file://")):
        kind = "https" if uri.startswith("https://") else "file"
        return _item(kind, uri, "", location, *patterns, False,
                     secret if secret in declared else None)
    raise LocalWeightsError(
        f"chainlet `{chainlet}`: WeightsSource(source={uri!r}): chains-run fetches "
        f"{', '.join(_SCHEMES)} sources; fetch other stores in __init__"
    )


def _item(
    kind: str,
    source: str,
    revision: str,
    target: str,
    allow: list[str] | None,
    ignore: list[str] | None,
    hub_cache: bool,
    secret: str | None,
) -> dict[str, Any]:
    return {
        "kind": kind,
        "source": source,
        "revision": revision,
        "target": target,
        "allow_patterns": list(allow or []),
        "ignore_patterns": list(ignore or []),
        "hub_cache": hub_cache,
        "secret": secret,
    }
