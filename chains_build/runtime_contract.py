"""What a deployment must give a chainlet container, as docker-compose and Kubernetes share it.

The runtime (``chains_runtime.serve``) reads its wiring from ``CHAINS_CONFIG`` (JSON) or
``CHAINS_CONFIG_FILE``, the service token from ``CHAINS_SERVICE_TOKEN``, the entrypoint's
optional API key from ``CHAINS_API_KEY`` and each secret from ``CHAINS_SECRET_<key>`` or else
the file ``<secrets_dir>/<key>``; it answers
``/healthz`` once it listens and ``/readyz`` once the chainlet's ``__init__`` has returned.
"""

from __future__ import annotations

import json
import re
from pathlib import PurePosixPath

from chains_runtime.contract import (
    API_KEY_ENV,
    CONFIG_ENV,
    CONFIG_FILE_ENV,
    SECRET_ENV_PREFIX,
    SERVICE_TOKEN_ENV,
)

from chains_build.errors import BuildError
from chains_build.plan import APP_DIR, ChainletPlan, ChainPlan

RESERVED_ENV = (CONFIG_ENV, CONFIG_FILE_ENV, SERVICE_TOKEN_ENV, API_KEY_ENV)

STARTUP_GRACE_SECONDS = 900
"""How long a chainlet may take to become ready (its ``__init__`` loads models) before the
orchestrator counts failed health checks."""

_SECRET_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


def needs_service_token(chainlet: ChainletPlan) -> bool:
    """Internal chainlets check the token on every call; any chainlet sends it to its
    dependencies. Only a lone entrypoint does without."""
    return not chainlet.is_entrypoint or bool(chainlet.dependencies)


def wiring_config(
    plan: ChainPlan, chainlet: ChainletPlan, *, secrets_dir: PurePosixPath
) -> dict[str, object]:
    """The ``CHAINS_CONFIG`` object of ``chainlet``: no token or key, those are secrets."""
    # Imported here: pydantic costs about 100 ms of start-up that only writing wiring needs.
    from chains_runtime.wiring import WiringError, deployment_wiring

    fields: dict[str, object] = {
        "chainlet": chainlet.class_name,
        "is_entrypoint": chainlet.is_entrypoint,
        "dependencies": {name: plan.dependency_url(name) for name in chainlet.dependencies},
        "secrets_dir": str(secrets_dir),
        "predict_concurrency": chainlet.predict_concurrency,
    }
    if chainlet.data_dir is not None:
        fields["data_dir"] = str(APP_DIR / chainlet.data_dir)
    if chainlet.run_remote_timeout_sec is not None:
        fields["run_remote_timeout_sec"] = chainlet.run_remote_timeout_sec
    try:
        return deployment_wiring(**fields)
    except WiringError as exc:
        raise BuildError(
            f"chainlet `{chainlet.class_name}`: the runtime would refuse the wiring the build "
            f"made for it ({exc}); check the values its `remote_config` sets"
        ) from None


def wiring_json(
    plan: ChainPlan, chainlet: ChainletPlan, *, secrets_dir: PurePosixPath, indent: int | None
) -> str:
    """``wiring_config`` as JSON text: one line (``indent=None``) or indented."""
    config = wiring_config(plan, chainlet, secrets_dir=secrets_dir)
    if indent is None:
        return json.dumps(config, separators=(",", ":"), ensure_ascii=False)
    return json.dumps(config, indent=indent, ensure_ascii=False) + "\n"


def user_environment(chainlet: ChainletPlan) -> tuple[tuple[str, str], ...]:
    """``ChainletOptions(env_variables=...)``; a BuildError if one would hide the wiring."""
    for name, _ in chainlet.env_variables:
        if name in RESERVED_ENV or name.startswith(SECRET_ENV_PREFIX) or not name or "=" in name:
            raise BuildError(
                f"chainlet `{chainlet.class_name}` sets the environment variable `{name}` in "
                f"`env_variables`, which the build reserves for the wiring "
                f"({', '.join(RESERVED_ENV)}, {SECRET_ENV_PREFIX}*) or is not a variable name: "
                "rename it"
            )
    return chainlet.env_variables


def checked_secret_keys(chainlet: ChainletPlan) -> tuple[str, ...]:
    """``Assets(secret_keys=...)``, each usable as a file name and a Kubernetes Secret key."""
    for key in chainlet.secret_keys:
        if not _SECRET_KEY.fullmatch(key):
            raise BuildError(
                f"chainlet `{chainlet.class_name}` declares the secret key {json.dumps(key)}, "
                "which cannot be a file name: use letters, digits, `_`, `-` and `.`"
            )
    return chainlet.secret_keys


def chain_secret_keys(plan: ChainPlan) -> tuple[str, ...]:
    """Every secret key any chainlet declares, sorted, once each."""
    return tuple(sorted({key for c in plan.chainlets for key in checked_secret_keys(c)}))
