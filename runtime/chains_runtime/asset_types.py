"""The config objects truss chains pass to ``Assets`` and ``ChainletOptions``.

``WeightsSource`` (exported by ``truss_chains``), ``ModelRepo`` with ``ModelRepoSourceKind`` and
``HealthChecks`` (from ``truss.base.truss_config``), with truss's field names, so a chain file
that declares weights or health checks imports and runs on chains_runtime. chains-build reads
them statically from the chain file (``chains_build.weights_plan``); at run time they are
plain immutable data.
"""

from __future__ import annotations

import enum

import pydantic


class _Config(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")


class ModelRepoSourceKind(str, enum.Enum):
    HF = "hf"
    GCS = "gcs"
    S3 = "s3"
    AZURE = "azure"


class ModelRepo(_Config):
    """A model repository to cache (``Assets(cached=[...])``)."""

    repo_id: str = pydantic.Field(min_length=1)
    revision: str = ""
    allow_patterns: list[str] | None = None
    ignore_patterns: list[str] | None = None
    volume_folder: str | None = None
    use_volume: bool = False
    kind: ModelRepoSourceKind = ModelRepoSourceKind.HF
    runtime_secret_name: str = "hf_access_token"


class WeightsSource(_Config):
    """Weights to mount at ``mount_location`` (``Assets(weights=[...])``)."""

    source: str = pydantic.Field(min_length=1)
    mount_location: str = pydantic.Field(min_length=1)
    auth_secret_name: str | None = None
    allow_patterns: list[str] | None = None
    ignore_patterns: list[str] | None = None


class HealthChecks(_Config):
    """Probe windows in seconds (``ChainletOptions(health_checks=...)``)."""

    restart_check_delay_seconds: int | None = None
    restart_threshold_seconds: int | None = None
    stop_traffic_threshold_seconds: int | None = None
    startup_threshold_seconds: int | None = None
