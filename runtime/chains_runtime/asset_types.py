"""The config objects truss chains pass to ``Assets`` and ``ChainletOptions``.

``WeightsSource`` (exported by ``truss_chains``), ``ModelRepo`` with ``ModelRepoSourceKind`` and
``HealthChecks``, the transport options of ``ChainletOptions(transport=...)``
(``WebsocketOptions``, ``HTTPOptions``, ``GRPCOptions``), ``Accelerator`` (``Compute(gpu=...)``),
``ExternalDataItem`` and ``DockerAuthSettings`` (accepted, not used: see the README), all from
``truss.base.truss_config``, with truss's field names, so a chain file that declares them
imports and runs on chains_runtime.
chains-build reads them statically from the chain file (``chains_build.weights_plan``); at run
time they are plain immutable data.
"""

from __future__ import annotations

import enum
from typing import Literal

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


class _AuthFields(_Config):
    """The cloud identity fields truss's auth settings share (accepted, not used here)."""

    aws_oidc_role_arn: str | None = None
    aws_oidc_region: str | None = None
    gcp_oidc_service_account: str | None = None
    gcp_oidc_workload_id_provider: str | None = None
    aws_assume_role_arn: str | None = None
    aws_assume_role_region: str | None = None


class WeightsAuthMethod(str, enum.Enum):
    CUSTOM_SECRET = "CUSTOM_SECRET"
    AWS_OIDC = "AWS_OIDC"
    GCP_OIDC = "GCP_OIDC"
    AWS_ASSUME_ROLE = "AWS_ASSUME_ROLE"


class WeightsAuth(_AuthFields):
    """``WeightsSource(auth=...)``: how a cloud store is reached. Self-hosted, only the stores
    chains-run and the images fetch are used (hf://, https://), with ``auth_secret_name``."""

    auth_method: WeightsAuthMethod
    auth_secret_name: str | None = None

    @pydantic.field_validator("auth_method", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class WeightsSource(_Config):
    """Weights to mount at ``mount_location`` (``Assets(weights=[...])``)."""

    source: str = pydantic.Field(min_length=1)
    mount_location: str = pydantic.Field(min_length=1)
    auth_secret_name: str | None = None
    auth: WeightsAuth | None = None
    allow_patterns: list[str] | None = None
    ignore_patterns: list[str] | None = None


class HealthChecks(_Config):
    """Probe windows in seconds (``ChainletOptions(health_checks=...)``)."""

    restart_check_delay_seconds: int | None = None
    restart_threshold_seconds: int | None = None
    stop_traffic_threshold_seconds: int | None = None
    startup_threshold_seconds: int | None = None


class TransportKind(str, enum.Enum):
    HTTP = "http"
    WEBSOCKET = "websocket"
    GRPC = "grpc"


class HTTPOptions(_Config):
    """``ChainletOptions(transport=...)`` of an HTTP ``run_remote`` (nothing to set)."""

    kind: Literal["http"] = "http"


class WebsocketOptions(_Config):
    """``ChainletOptions(transport=...)`` of a websocket ``run_remote``: its keep-alive pings
    (``server.websocket_options``; None: the server's default)."""

    kind: Literal["websocket"] = "websocket"
    ping_interval_seconds: float | None = None
    ping_timeout_seconds: float | None = None


class GRPCOptions(_Config):
    """Accepted so that truss chain files import; chains_runtime serves HTTP and websockets only
    (chains-lint's CH724 reports it on a websocket endpoint)."""

    kind: Literal["grpc"] = "grpc"


class Accelerator(str, enum.Enum):
    """GPU types, for ``Compute(gpu=truss_config.Accelerator.A10G)`` (the same as ``"A10G"``)."""

    _B10 = "B10"
    T4 = "T4"
    L4 = "L4"
    A10G = "A10G"
    V100 = "V100"
    A100 = "A100"
    A100_40GB = "A100_40GB"
    H100 = "H100"
    H200 = "H200"
    H100_40GB = "H100_40GB"
    B200 = "B200"
    L40S = "L40S"
    RTX_PRO_6000 = "RTX_PRO_6000"
    B300 = "B300"
    GB300 = "GB300"


class ExternalDataItem(_Config):
    """``Assets(external_data=[...])``: accepted, not downloaded (chains-build says so)."""

    url: str = pydantic.Field(min_length=1)
    local_data_path: str = pydantic.Field(min_length=1)
    backend: str = "http_public"
    name: str | None = None


class DockerAuthType(str, enum.Enum):
    GCP_SERVICE_ACCOUNT_JSON = "GCP_SERVICE_ACCOUNT_JSON"
    AWS_IAM = "AWS_IAM"
    AWS_OIDC = "AWS_OIDC"
    GCP_OIDC = "GCP_OIDC"
    REGISTRY_SECRET = "REGISTRY_SECRET"
    AWS_ASSUME_ROLE = "AWS_ASSUME_ROLE"


class DockerAuthSettings(_AuthFields):
    """``CustomImage(docker_auth=...)``: accepted, not used (log in with ``docker login``)."""

    auth_method: DockerAuthType
    registry: str | None = ""
    secret_name: str | None = None
    aws_access_key_id_secret_name: str = "aws_access_key_id"
    aws_secret_access_key_secret_name: str = "aws_secret_access_key"

    @pydantic.field_validator("auth_method", mode="before")
    @classmethod
    def _upper_case(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value
