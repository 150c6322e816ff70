"""``ServerConfig``: how one chainlet server authenticates, limits and injects."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chains_runtime.context import DeployedServiceDescriptor
from chains_runtime.contract import SECRET_ENV_PREFIX
from chains_runtime.errors import ChainsUsageError

if TYPE_CHECKING:
    from chains_runtime.chainlet import ChainletBase
    from chains_runtime.injection import DependencyMarker

DependencyProvider = Callable[["type[ChainletBase]", str, "DependencyMarker"], object]
"""Gives the object for ``depends(X)``: ``(owner class, parameter name, marker) -> object``."""

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class ServerConfig:
    """Settings of one chainlet server.

    - ``service_token`` / ``require_service_token``: chainlets that only other chainlets call
      require the internal token (``x-chains-service-token``); a request without it gets 401.
    - ``api_key``: for the entrypoint, accept ``Authorization: Api-Key <key>`` or
      ``x-api-key: <key>`` (the service token is accepted too); others get 401.
    - ``predict_concurrency``: ``run_remote`` calls running at once; up to ``queue_size`` more
      wait; beyond that, 503 with ``Retry-After: retry_after_sec``.
    - ``secrets``, ``CHAINS_SECRET_<key>`` environment variables and ``secrets_dir`` (one file
      per secret, named by its key): see ``load_secrets``; the chainlet sees only the keys it
      declares.
    - ``dependency_provider``: builds the object for each ``depends(X)`` parameter.
    - ``run_remote_timeout_sec``: the longest a call may take from its arrival (queueing
      included); past it, 504 ``DeadlineExceeded`` and the call is cancelled. A caller's
      ``x-chains-deadline-ms`` budget shortens it. None: no limit of its own.
    - ``include_traceback``: error envelopes to internal callers (those that send the service
      token: the other chainlets) carry the traceback; ``expose_tracebacks``: so do the
      answers to outside callers (off by default: they get type, message, chainlet and request
      id, and the traceback goes to the log).
    - ``allowed_hosts``: the ``Host`` names answered (see ``server.hosts``); None answers any.
    - ``cors_origins``: web origins allowed to call from a browser (see ``server.cors``).
    - ``api_docs``: serve ``GET /openapi.json`` and ``GET /docs`` (open, like the operational
      endpoints: they describe the interface and hold no data or secret); False answers 404.
    """

    service_token: str | None = None
    require_service_token: bool = False
    api_key: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    predict_concurrency: int = 1
    queue_size: int = 64
    retry_after_sec: int = 1
    secrets: Mapping[str, str] = field(default_factory=dict)
    secrets_dir: Path | None = None
    data_dir: Path | None = None
    environment: str | None = None
    chainlet_to_service: Mapping[str, DeployedServiceDescriptor] = field(default_factory=dict)
    dependency_provider: DependencyProvider | None = None
    include_traceback: bool = True
    run_remote_timeout_sec: float | None = None
    expose_tracebacks: bool = False
    allowed_hosts: tuple[str, ...] | None = None
    cors_origins: tuple[str, ...] = ()
    api_docs: bool = True

    def __post_init__(self) -> None:
        if self.require_service_token and not self.service_token:
            raise ChainsUsageError("ServerConfig(require_service_token=True) needs service_token")
        if self.max_body_bytes < 1:
            raise ChainsUsageError(f"max_body_bytes must be >= 1, got {self.max_body_bytes}")
        if self.predict_concurrency < 1:
            raise ChainsUsageError(
                f"predict_concurrency must be >= 1, got {self.predict_concurrency}"
            )
        if self.queue_size < 0:
            raise ChainsUsageError(f"queue_size must be >= 0, got {self.queue_size}")
        if self.run_remote_timeout_sec is not None and not self.run_remote_timeout_sec > 0:
            raise ChainsUsageError(
                f"run_remote_timeout_sec must be > 0, got {self.run_remote_timeout_sec}"
            )
        if self.retry_after_sec < 0:
            raise ChainsUsageError(f"retry_after_sec must be >= 0, got {self.retry_after_sec}")

    def load_secrets(
        self, keys: Iterable[str] | None = None, *, environ: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """The secret values by key, from three sources; the first that has a key wins:

        1. the explicit ``secrets`` mapping,
        2. the environment variable ``CHAINS_SECRET_<key>`` (``environ``, default
           ``os.environ``),
        3. the file ``secrets_dir/<key>`` (a trailing newline dropped), as Kubernetes mounts
           secrets.

        With ``keys``, only those keys are looked up (a key found nowhere is left out);
        without, every key any source holds (hidden files excepted).
        """
        env = os.environ if environ is None else environ
        if keys is None:
            values = self._all_secret_files()
            for name, env_value in env.items():
                if name.startswith(SECRET_ENV_PREFIX) and len(name) > len(SECRET_ENV_PREFIX):
                    values[name[len(SECRET_ENV_PREFIX) :]] = env_value
            values.update(self.secrets)
            return values
        found: dict[str, str] = {}
        for key in keys:
            value: str | None = self.secrets.get(key)
            if value is None:
                value = env.get(SECRET_ENV_PREFIX + key)
            if value is None:
                value = self._secret_file(key)
            if value is not None:
                found[key] = value
        return found

    def secret_sources(self, key: str) -> str:
        """Where ``load_secrets`` looks for ``key``, for an error message (no values)."""
        places = [
            "the server config's `secrets`",
            f"the environment variable {SECRET_ENV_PREFIX}{key}",
        ]
        if self.secrets_dir is not None:
            places.append(f"the file {self.secrets_dir / key}")
        return ", ".join(places[:-1]) + " or " + places[-1]

    def _secret_file(self, key: str) -> str | None:
        if self.secrets_dir is None or not key or key.startswith(".") or "/" in key:
            return None
        path = self.secrets_dir / key
        return _read_secret_file(path) if path.is_file() else None

    def _all_secret_files(self) -> dict[str, str]:
        values: dict[str, str] = {}
        if self.secrets_dir is not None and self.secrets_dir.is_dir():
            for path in sorted(self.secrets_dir.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    values[path.name] = _read_secret_file(path)
        return values


def _read_secret_file(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ChainsUsageError(f"cannot read the secret file {path}: {reason}") from None
