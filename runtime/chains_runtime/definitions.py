"""Configuration types a chain file writes in ``remote_config`` and ``depends(...)``.

They are validated when they are made, with errors naming the field, the expected
value and the value found (pydantic's messages). Paths may be ``make_abs_path_here``
results, ``pathlib.Path`` objects or plain strings (kept as written).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import pydantic

from chains_runtime.errors import ChainsUsageError
from chains_runtime.memory_quantity import parse_memory
from chains_runtime.paths import AbsPath

DEFAULT_TIMEOUT_SEC = 600.0
DEFAULT_CONCURRENCY_LIMIT = 300
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
"""The default largest answer a dependency call reads (``RPCOptions.max_response_bytes``)."""
DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024
"""The default largest frame (one line) of a streamed answer (``RPCOptions.max_frame_bytes``)."""

PathValue = AbsPath | Path | str
"""A path in a config: ``make_abs_path_here(...)``, a ``Path``, or a string kept as written."""


class _Config(pydantic.BaseModel):
    """Base of the config models: immutable, and unknown fields are an error."""

    model_config = pydantic.ConfigDict(
        frozen=True, extra="forbid", arbitrary_types_allowed=True, validate_default=True
    )


class BasetenImage(enum.Enum):
    """A curated base image for a Python version (compatibility with truss)."""

    PY39 = "py39"
    PY310 = "py310"
    PY311 = "py311"


class CustomImage(_Config):
    """A base image from a registry, e.g. ``CustomImage(image="python:3.11-slim")``."""

    image: str = pydantic.Field(min_length=1)
    python_executable_path: str | None = None
    docker_auth: object | None = None


class DockerImage(_Config):
    """The software environment of a chainlet's image."""

    base_image: BasetenImage | CustomImage | str = BasetenImage.PY311
    pip_requirements_file: PathValue | None = None
    pip_requirements: list[str] = pydantic.Field(default_factory=list)
    requirements_file: PathValue | None = None
    apt_requirements: list[str] = pydantic.Field(default_factory=list)
    data_dir: PathValue | None = None
    external_package_dirs: list[PathValue] | None = None
    truss_server_version_override: str | None = None

    @pydantic.model_validator(mode="after")
    def _one_requirements_file(self) -> DockerImage:
        if self.pip_requirements_file is not None and self.requirements_file is not None:
            raise ValueError(
                "give either `requirements_file` or the older `pip_requirements_file`, not both"
            )
        return self


class Compute(_Config):
    """The resources of one replica of a chainlet.

    ``predict_concurrency="cpu_count"`` takes the value of ``cpu_count``. When
    ``instance_type`` is given, it decides the resources and the other fields are kept
    only for information.
    """

    model_config = pydantic.ConfigDict(strict=True)

    cpu_count: int = pydantic.Field(default=1, ge=1)
    memory: str = "2Gi"
    gpu: str | None = None
    gpu_count: int = pydantic.Field(default=1, ge=1)
    predict_concurrency: int = pydantic.Field(default=1, ge=1)
    instance_type: str | None = None

    def __init__(
        self,
        cpu_count: int = 1,
        memory: str = "2Gi",
        gpu: str | enum.Enum | None = None,
        gpu_count: int = 1,
        predict_concurrency: int | Literal["cpu_count"] = 1,
        instance_type: str | None = None,
    ) -> None:
        if isinstance(gpu, enum.Enum):  # e.g. truss' Accelerator.A10G
            gpu = str(gpu.value)
        if predict_concurrency == "cpu_count":
            predict_concurrency = cpu_count
        # BaseModel's own __init__: mypy sees only the fieldless one of _Config.
        pydantic.BaseModel.__init__(
            self,
            cpu_count=cpu_count,
            memory=memory,
            gpu=gpu or None,  # an empty string means no GPU, as in truss
            gpu_count=gpu_count,
            predict_concurrency=predict_concurrency,
            instance_type=instance_type or None,
        )

    @pydantic.field_validator("memory")
    @classmethod
    def _memory_quantity(cls, value: str) -> str:
        if parse_memory(value) is None:
            raise ValueError(
                f"expected a memory quantity such as '2Gi', '512Mi' or '16G', got {value!r}"
            )
        return value


class Assets(_Config):
    """What a chainlet may use besides code: secret names, cached models, external data."""

    cached: tuple[object, ...] = ()
    secret_keys: tuple[str, ...] = ()
    external_data: tuple[object, ...] = ()
    weights: tuple[object, ...] = ()

    def __init__(
        self,
        cached: Iterable[object] = (),
        secret_keys: Iterable[str] = (),
        external_data: Iterable[object] = (),
        weights: Iterable[object] = (),
    ) -> None:
        for name, value in (
            ("cached", cached),
            ("secret_keys", secret_keys),
            ("external_data", external_data),
            ("weights", weights),
        ):
            if isinstance(value, str | bytes):
                raise ChainsUsageError(
                    f"Assets({name}=...) expects a list, got the string {value!r}; "
                    f"write {name}=[{value!r}]"
                )
        pydantic.BaseModel.__init__(
            self,
            cached=tuple(cached),
            secret_keys=tuple(secret_keys),
            external_data=tuple(external_data),
            weights=tuple(weights),
        )


class ChainletOptions(_Config):
    """Options of the deployed chainlet server."""

    enable_b10_tracing: bool = False
    enable_debug_logs: bool = False
    env_variables: dict[str, str] = pydantic.Field(default_factory=dict)
    health_checks: object | None = None
    metadata: pydantic.JsonValue | None = None
    streaming_read_timeout: int = pydantic.Field(default=60, ge=1)
    transport: object | None = None
    # Not in truss: the longest one run_remote call may take on the server (from its arrival,
    # queueing included); past it the call is cancelled and answered 504 DeadlineExceeded. A
    # caller's x-chains-deadline-ms budget can only shorten it. None: no limit of its own.
    run_remote_timeout_sec: float | None = pydantic.Field(default=None, gt=0)
    # Not in truss: the server's HTTP limits (``server.limits.ServerLimits``, same names and
    # minimums). A flag of the server or a CHAINS_* variable wins; None: the built-in default.
    max_connections: int | None = pydantic.Field(default=None, ge=1)
    idle_timeout_sec: float | None = pydantic.Field(default=None, ge=0.01, allow_inf_nan=False)
    head_timeout_sec: float | None = pydantic.Field(default=None, ge=0.01, allow_inf_nan=False)
    body_timeout_sec: float | None = pydantic.Field(default=None, ge=0.01, allow_inf_nan=False)
    max_head_bytes: int | None = pydantic.Field(default=None, ge=256)


class RemoteConfig(_Config):
    """Everything needed to deploy a chainlet: image, compute, assets, name, options."""

    docker_image: DockerImage = pydantic.Field(default_factory=DockerImage)
    compute: Compute = pydantic.Field(default_factory=Compute)
    assets: Assets = pydantic.Field(default_factory=Assets)
    name: str | None = None
    options: ChainletOptions = pydantic.Field(default_factory=ChainletOptions)
    build_commands: list[str] = pydantic.Field(default_factory=list)


class RPCOptions(_Config):
    """How a chainlet calls one dependency: retries, timeout, encoding, concurrency, limits."""

    retries: int = pydantic.Field(default=1, ge=0)
    timeout_sec: float = pydantic.Field(default=DEFAULT_TIMEOUT_SEC, gt=0)
    use_binary: bool = False
    concurrency_limit: int = pydantic.Field(default=DEFAULT_CONCURRENCY_LIMIT, ge=1)
    # Not in truss: bounds on what one call may read (the connection is closed past them).
    max_response_bytes: int = pydantic.Field(default=DEFAULT_MAX_RESPONSE_BYTES, ge=1)
    max_frame_bytes: int = pydantic.Field(default=DEFAULT_MAX_FRAME_BYTES, ge=1)
