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
build error that says what to do instead.
"""

from __future__ import annotations

import dataclasses
from pathlib import PurePosixPath

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

HF_TOKEN_KEY = "hf_access_token"
"""truss's ``ModelRepo.runtime_secret_name`` default: the secret holding the Hugging Face
token, used when the chainlet declares it."""

_UNSUPPORTED = (
    "chains-build downloads Hugging Face repos (hf://, ModelRepo) and https:// files; fetch "
    "other stores in __init__ or with build_commands"
)


def plan_weights(chainlet: str, config: RemoteConfigModel) -> Weights:
    items: list[Weight] = []
    secrets = set(config.assets.secret_keys)
    for repo in config.assets.cached:
        items.append(_model_repo(chainlet, repo, secrets))
    outside = 0
    for source in config.assets.weights:
        item = _weights_source(chainlet, source, secrets)
        if not PurePosixPath(item.target).is_relative_to(WEIGHTS_DIR):
            # Kept in the volume, reached through a symlink the image holds.
            link, item = item.target, dataclasses.replace(
                item, target=str(WEIGHTS_DIR / f"mount-{outside}")
            )
            item = dataclasses.replace(item, link=link)
            outside += 1
        items.append(item)
    links = [item.link for item in items if item.link is not None]
    for link in links:
        for other in links:
            if link != other and PurePosixPath(other).is_relative_to(link):
                raise BuildError(
                    f"chainlet `{chainlet}`: WeightsSource mount_location {other} is inside "
                    f"another one, {link}; use separate folders"
                )
    targets = [item.target for item in items if not item.hub_cache]
    for target in set(targets):
        if targets.count(target) > 1:
            raise BuildError(
                f"chainlet `{chainlet}`: two weights sources go to {target}; give each its own "
                "volume_folder or mount_location"
            )
    return Weights(tuple(items))


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
    kind = fields.get("kind")
    if kind not in (None, "hf", "HF", "ModelRepoSourceKind.HF"):
        raise BuildError(f"chainlet `{chainlet}`: ModelRepo(kind={kind!r}): {_UNSUPPORTED}")
    revision = _text(chainlet, "ModelRepo", "revision", fields.get("revision")) or ""
    secret = _text(chainlet, "ModelRepo", "runtime_secret_name", fields.get("runtime_secret_name"))
    if fields.get("use_volume") is True:
        folder = _text(chainlet, "ModelRepo", "volume_folder", fields.get("volume_folder"))
        if not folder or not _plain_folder(folder):
            raise BuildError(
                f"chainlet `{chainlet}`: ModelRepo(repo_id={repo_id!r}, use_volume=True) needs "
                'volume_folder="<name>", one folder name (letters, digits, ., _, -)'
            )
        target, hub = str(WEIGHTS_DIR / folder), False
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
        secret=_secret(secret or HF_TOKEN_KEY, secrets),
    )


def _weights_source(chainlet: str, source: ConfigObject, secrets: set[str]) -> Weight:
    fields = source.fields
    uri = _required(chainlet, "WeightsSource", "source", fields.get("source"))
    location = _required(chainlet, "WeightsSource", "mount_location", fields.get("mount_location"))
    path = PurePosixPath(location)
    if not path.is_absolute() or ".." in path.parts or path == PurePosixPath("/"):
        raise BuildError(
            f"chainlet `{chainlet}`: WeightsSource(mount_location={location!r}) must be an "
            "absolute folder such as /models/llama"
        )
    in_app = path.is_relative_to("/app") and not path.is_relative_to(WEIGHTS_DIR)
    if in_app or path == WEIGHTS_DIR:
        raise BuildError(
            f"chainlet `{chainlet}`: WeightsSource(mount_location={location!r}) would hide the "
            f"chainlet's code in /app; use a folder outside /app or under {WEIGHTS_DIR}"
        )
    secret = _text(chainlet, "WeightsSource", "auth_secret_name", fields.get("auth_secret_name"))
    common = {
        "target": str(path),
        "allow_patterns": _patterns(chainlet, "WeightsSource", "allow_patterns", fields),
        "ignore_patterns": _patterns(chainlet, "WeightsSource", "ignore_patterns", fields),
    }
    if uri.startswith("hf://"):
        repo, _, revision = uri.removeprefix("hf://").partition("@")
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise BuildError(
                f"chainlet `{chainlet}`: WeightsSource(source={uri!r}): write hf://<org>/<repo> "
                "or hf://<org>/<repo>@<revision>"
            )
        return Weight(
            kind="hf",
            source=repo,
            revision=revision,
            secret=_secret(secret or HF_TOKEN_KEY, secrets),
            **common,  # type: ignore[arg-type]
        )
    if uri.startswith("https://"):
        return Weight(
            kind="https",
            source=uri,
            revision="",
            secret=_secret(secret, secrets) if secret else None,
            **common,  # type: ignore[arg-type]
        )
    if uri.startswith("file://"):
        raise BuildError(
            f"chainlet `{chainlet}`: WeightsSource(source={uri!r}): file:// sources are for "
            "chains-run on this machine only; an image cannot reach them: put the files in the "
            "chainlet's data_dir, or publish them (hf://, https://)"
        )
    raise BuildError(f"chainlet `{chainlet}`: WeightsSource(source={uri!r}): {_UNSUPPORTED}")


def _secret(key: str, declared: set[str]) -> str | None:
    return key if key in declared else None


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


def _plain_folder(name: str) -> bool:
    return name not in (".", "..") and all(c.isalnum() or c in "._-" for c in name)
