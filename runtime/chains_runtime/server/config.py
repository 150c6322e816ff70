"""``ServerConfig``: how one chainlet server authenticates, limits and injects."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chains_runtime.context import DeployedServiceDescriptor
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
    - ``secrets`` and/or ``secrets_dir`` (one file per secret, named by its key; the mapping
      wins): the chainlet sees only the keys it declares.
    - ``dependency_provider``: builds the object for each ``depends(X)`` parameter.
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
        if self.retry_after_sec < 0:
            raise ChainsUsageError(f"retry_after_sec must be >= 0, got {self.retry_after_sec}")

    def load_secrets(self) -> dict[str, str]:
        """The secret values: files of ``secrets_dir`` (trailing newline dropped), then mapping."""
        values: dict[str, str] = {}
        if self.secrets_dir is not None and self.secrets_dir.is_dir():
            for path in sorted(self.secrets_dir.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    values[path.name] = path.read_text(encoding="utf-8").rstrip("\r\n")
        values.update(self.secrets)
        return values
