"""Reading a chainlet's declared weights and health checks into the plan.

- ``Assets(cached=[ModelRepo(repo_id=..., revision=..., allow_patterns=..., ignore_patterns=...,
  use_volume=..., volume_folder=...)])``: a Hugging Face repo. With ``use_volume=True`` it goes
  to ``/app/model_cache/<volume_folder>`` as truss puts it; otherwise into a Hugging Face hub
  cache in the volume, ``/app/model_cache/huggingface/hub``, passed to the download only (the
  server's ``HF_HUB_CACHE`` stays the image's ``$HF_HOME/hub``, where build commands'
  downloads are), whose ``models--<org>--<name>`` the image links from ``$HF_HOME/hub``
  (``chains_build.dockerfile``): a plain ``from_pretrained(repo_id)`` finds it, as in truss.
- ``Assets(weights=[WeightsSource(source="hf://org/repo@rev" or "https://...",
  mount_location="/abs/path", allow_patterns=..., ignore_patterns=...)])``.
- ``ChainletOptions(health_checks=HealthChecks(startup_threshold_seconds=...,
  stop_traffic_threshold_seconds=..., restart_threshold_seconds=...))``.

Sources the runtime cannot download (s3://, gs://, azure://, other ``ModelRepo`` kinds) are a
build error that says what to do instead. The rules a declaration must follow are
``chains_runtime.weights_rules``, which ``chains-run`` applies too; this module adds what only
an image needs (literal values, ``mount_location`` outside ``/app``, no nested links).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Final

from chains_runtime import weights_rules
from chains_runtime.weights_rules import Fetcher, WeightsRuleError

from chains_build.deploy_options import (
    DEFAULT_STARTUP_SECONDS,
    HF_HUB_CACHE_DIR,
    WEIGHTS_DIR,
    Health,
    Weight,
    Weights,
)
from chains_build.errors import BuildError
from chains_lint.model.types import ConfigObject, LiteralValue, RemoteConfigModel

CHAINS_BUILD: Final = Fetcher(
    "chains-build", local_files=False, elsewhere="in __init__ or with build_commands"
)


def plan_weights(chainlet: str, config: RemoteConfigModel) -> Weights:
    with _refused_for(chainlet):
        return _plan_weights(chainlet, config)


def _plan_weights(chainlet: str, config: RemoteConfigModel) -> Weights:
    items: list[Weight] = []
    secrets = set(config.assets.secret_keys)
    for repo in config.assets.cached:
        items.append(_model_repo(chainlet, repo, secrets))
    for source in config.assets.weights:
        items.append(_weights_source(chainlet, source, secrets))
    # As declared (chains-run checks the same), then as kept in the volume.
    weights_rules.check_distinct_targets(item.target for item in items if not item.hub_cache)
    items = _link_outside_mounts(chainlet, items)
    weights_rules.check_distinct_targets(item.target for item in items if not item.hub_cache)
    return Weights(tuple(items))


def _link_outside_mounts(chainlet: str, items: list[Weight]) -> list[Weight]:
    """Each ``mount_location`` outside the volume kept in it (``mount-<n>``), reached through
    a symlink the image holds."""
    linked: list[Weight] = []
    outside = 0
    for item in items:
        if not PurePosixPath(item.target).is_relative_to(WEIGHTS_DIR):
            kept = str(WEIGHTS_DIR / f"mount-{outside}")
            item = dataclasses.replace(item, target=kept, link=item.target)
            outside += 1
        linked.append(item)
    links = [item.link for item in linked if item.link is not None]
    for link in links:
        for other in links:
            if link != other and PurePosixPath(other).is_relative_to(link):
                raise BuildError(
                    f"chainlet `{chainlet}`: WeightsSource mount_location {other} is inside "
                    f"another one, {link}; use separate folders"
                )
    return linked


def plan_health(chainlet: str, config: RemoteConfigModel) -> Health:
    checks = config.options.health_checks
    if checks is None:
        return Health()
    values = {
        name: _seconds(chainlet, name, checks.fields.get(name))
        for name in (
            "startup_threshold_seconds",
            "stop_traffic_threshold_seconds",
            "restart_threshold_seconds",
        )
    }
    startup = values["startup_threshold_seconds"]
    return Health(
        startup_seconds=startup if startup is not None else DEFAULT_STARTUP_SECONDS,
        stop_traffic_seconds=values["stop_traffic_threshold_seconds"],
        restart_seconds=values["restart_threshold_seconds"],
        source="HealthChecks",
    )


def _seconds(chainlet: str, name: str, value: LiteralValue) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BuildError(
            f"chainlet `{chainlet}`: HealthChecks({name}={value!r}) must be a whole number of "
            "seconds >= 1"
        )
    return value


def _model_repo(chainlet: str, repo: ConfigObject, secrets: set[str]) -> Weight:
    fields = repo.fields
    repo_id = _required(chainlet, "ModelRepo", "repo_id", fields.get("repo_id"))
    weights_rules.check_model_repo_kind(fields.get("kind"), CHAINS_BUILD)
    revision = _text(chainlet, "ModelRepo", "revision", fields.get("revision")) or ""
    secret = _text(chainlet, "ModelRepo", "runtime_secret_name", fields.get("runtime_secret_name"))
    if fields.get("use_volume") is True:
        folder = _text(chainlet, "ModelRepo", "volume_folder", fields.get("volume_folder"))
        target, hub = str(weights_rules.volume_target(repo_id, folder)), False
    else:
        target, hub = str(HF_HUB_CACHE_DIR), True
    return Weight(
        kind="hf",
        source=repo_id,
        revision=revision,
        target=target,
        allow_patterns=_patterns(chainlet, "ModelRepo", "allow_patterns", fields),
        ignore_patterns=_patterns(chainlet, "ModelRepo", "ignore_patterns", fields),
        hub_cache=hub,
        secret=weights_rules.token_secret("hf", secret, secrets),
    )


def _weights_source(chainlet: str, source: ConfigObject, secrets: set[str]) -> Weight:
    fields = source.fields
    uri = _required(chainlet, "WeightsSource", "source", fields.get("source"))
    location = _required(chainlet, "WeightsSource", "mount_location", fields.get("mount_location"))
    path = weights_rules.check_mount_location(location)
    in_app = path.is_relative_to("/app") and not path.is_relative_to(WEIGHTS_DIR)
    if in_app or path == WEIGHTS_DIR:
        raise BuildError(
            f"chainlet `{chainlet}`: WeightsSource(mount_location={location!r}) would hide the "
            f"chainlet's code in /app; use a folder outside /app or under {WEIGHTS_DIR}"
        )
    secret = _text(chainlet, "WeightsSource", "auth_secret_name", fields.get("auth_secret_name"))
    parsed = weights_rules.parse_source(uri, CHAINS_BUILD)
    return Weight(
        kind=parsed.kind,
        source=parsed.source,
        revision=parsed.revision,
        target=str(path),
        allow_patterns=_patterns(chainlet, "WeightsSource", "allow_patterns", fields),
        ignore_patterns=_patterns(chainlet, "WeightsSource", "ignore_patterns", fields),
        secret=weights_rules.token_secret(parsed.kind, secret, secrets),
    )


@contextlib.contextmanager
def _refused_for(chainlet: str) -> Iterator[None]:
    """A broken rule (``chains_runtime.weights_rules``) as this chainlet's build error."""
    try:
        yield
    except WeightsRuleError as exc:
        raise BuildError(f"chainlet `{chainlet}`: {exc}") from None


def _required(chainlet: str, kind: str, name: str, value: LiteralValue) -> str:
    text = _text(chainlet, kind, name, value, required=True)
    assert text is not None
    return text


def _text(
    chainlet: str, kind: str, name: str, value: LiteralValue, *, required: bool = False
) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise BuildError(
            f"chainlet `{chainlet}`: {kind}({name}=...) must be a literal string"
            + (" and is required" if required else "")
        )
    return value


def _patterns(
    chainlet: str, kind: str, name: str, fields: dict[str, LiteralValue]
) -> tuple[str, ...]:
    value = fields.get(name)
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise BuildError(f"chainlet `{chainlet}`: {kind}({name}=...) must be a list of strings")
    return tuple(str(item) for item in value)
