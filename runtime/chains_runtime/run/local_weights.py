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
next run starts at once (a ``file://`` source's changed files are copied again). Tokens come
from the secrets given to ``chains-run`` (the item's ``runtime_secret_name`` /
``auth_secret_name``, when the chainlet declares that key). What a declaration may say is
``chains_runtime.weights_rules``, which ``chains-build`` checks too.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final, TypeVar

from chains_runtime import weights_rules
from chains_runtime.asset_types import ModelRepo, WeightsSource
from chains_runtime.chainlet import ChainletBase
from chains_runtime.contract import SECRET_ENV_PREFIX
from chains_runtime.errors import ChainsUsageError
from chains_runtime.weights import WeightsError, ensure_weights
from chains_runtime.weights_rules import Fetcher, WeightsRuleError

CHAINS_RUN: Final = Fetcher("chains-run", local_files=True, elsewhere="in __init__")
_AssetT = TypeVar("_AssetT", ModelRepo, WeightsSource)
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
    with _refused_for(name):
        items = [_model_repo(_typed(repo, ModelRepo), declared, environ)
                 for repo in assets.cached]
        items += [_weights_source(_typed(source, WeightsSource), declared)
                  for source in assets.weights]
        weights_rules.check_distinct_targets(
            item["target"] for item in items if not item["hub_cache"]
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
    items: Sequence[Mapping[str, Any]],
    secret_values: Mapping[str, str],
    chainlets: Sequence[type[ChainletBase]] = (),
) -> list[str]:
    """Fetch what is not there yet; the folders fetched now. ``WeightsError`` when a download
    fails (naming first those of ``chainlets`` that declare the item), ``LocalWeightsError``
    when a folder cannot be made (saying how to make it)."""
    environ = {SECRET_ENV_PREFIX + key: value for key, value in secret_values.items()}
    fetched: list[str] = []
    for item in items:
        try:
            fetched += ensure_weights([item], environ=environ)
        except WeightsError as exc:
            raise WeightsError(_declared_by(item, chainlets) + str(exc)) from exc
        except OSError as exc:
            if exc.errno not in _NOT_WRITABLE:
                raise WeightsError(_declared_by(item, chainlets) + str(exc)) from exc
            folder = exc.filename or "the weights folder"
            raise LocalWeightsError(
                f"chains-run cannot write {folder} ({exc.strerror}), where the chain's code "
                f"reads its weights; create it once for your user (sudo mkdir -p {folder} && "
                f"sudo chown $USER {folder}), or run the chain in its image (chains-build)"
            ) from None
    return fetched


def _declared_by(item: Mapping[str, Any], chainlets: Sequence[type[ChainletBase]]) -> str:
    """The chainlets declaring ``item``, to put in front of an error about it: ``chainlet `A`: ``
    (empty when none of ``chainlets`` does)."""
    names = [f"`{cls.__name__}`" for cls in chainlets if item in weights_items(cls)]
    if not names:
        return ""
    return f"chainlet{'s' if len(names) > 1 else ''} {', '.join(names)}: "


@contextlib.contextmanager
def _refused_for(chainlet: str) -> Iterator[None]:
    """A broken rule (``chains_runtime.weights_rules``) as this chainlet's usage error."""
    try:
        yield
    except WeightsRuleError as exc:
        raise LocalWeightsError(f"chainlet `{chainlet}`: {exc}") from None


def _typed(value: object, kind: type[_AssetT]) -> _AssetT:
    if not isinstance(value, kind):
        field = "cached" if kind is ModelRepo else "weights"
        raise WeightsRuleError(
            None, f"Assets({field}=[...]) holds {value!r}; expected `chains.{kind.__name__}(...)`"
        )
    return value


def _model_repo(
    repo: ModelRepo, declared: set[str], environ: Mapping[str, str] | None
) -> dict[str, Any]:
    weights_rules.check_model_repo_kind(repo.kind.value, CHAINS_RUN)
    if repo.use_volume:
        target, hub = str(weights_rules.volume_target(repo.repo_id, repo.volume_folder)), False
    else:
        target, hub = str(hub_cache_dir(environ)), True
    secret = weights_rules.token_secret("hf", repo.runtime_secret_name, declared)
    return _item(
        "hf", repo.repo_id, repo.revision, target, repo.allow_patterns, repo.ignore_patterns,
        hub, secret,
    )


def _weights_source(source: WeightsSource, declared: set[str]) -> dict[str, Any]:
    location = str(weights_rules.check_mount_location(source.mount_location))
    parsed = weights_rules.parse_source(source.source, CHAINS_RUN)
    return _item(
        parsed.kind, parsed.source, parsed.revision, location, source.allow_patterns,
        source.ignore_patterns, False,
        weights_rules.token_secret(parsed.kind, source.auth_secret_name, declared),
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
