"""The SDK constructors ``remote_config`` is built from: their parameters, as data."""

from __future__ import annotations

from chains_lint.model import sdk

BASETEN_IMAGE_PREFIX = "baseten:"
DEFAULT_BASE_IMAGE = "baseten:py311"  # what an unset base_image means (BasetenImage.PY311)

BASETEN_IMAGE = "BasetenImage"
CUSTOM_IMAGE = "CustomImage"
CHAINLET_OPTIONS = "ChainletOptions"

# BasetenImage members and their values.
BASETEN_IMAGES: dict[str, str] = {"PY39": "py39", "PY310": "py310", "PY311": "py311"}

# chains_runtime only: the chainlet server's HTTP limits (ChainletOptions fields named like
# chains_runtime.server.limits.ServerLimits), each with its smallest value.
SERVER_LIMITS: dict[str, int | float] = {
    "max_connections": 1,
    "idle_timeout_sec": 0.01,
    "head_timeout_sec": 0.01,
    "body_timeout_sec": 0.01,
    "max_head_bytes": 256,
}

# The parameters of each SDK constructor, in their positional order.
PARAMETERS: dict[str, tuple[str, ...]] = {
    sdk.REMOTE_CONFIG: ("docker_image", "compute", "assets", "name", "options", "build_commands"),
    sdk.DOCKER_IMAGE: (
        "base_image",
        "pip_requirements_file",
        "pip_requirements",
        "apt_requirements",
        "requirements_file",
        "data_dir",
        "external_package_dirs",
        "truss_server_version_override",
    ),
    sdk.COMPUTE: (
        "cpu_count",
        "memory",
        "gpu",
        "gpu_count",
        "predict_concurrency",
        "instance_type",
    ),
    sdk.ASSETS: ("cached", "secret_keys", "external_data", "weights"),
    CUSTOM_IMAGE: ("image", "python_executable_path", "docker_auth"),
    CHAINLET_OPTIONS: (
        "enable_b10_tracing",
        "enable_debug_logs",
        "env_variables",
        "health_checks",
        "metadata",
        "streaming_read_timeout",
        "transport",
        "run_remote_timeout_sec",  # chains_runtime only: the server's time limit per call
        *SERVER_LIMITS,
    ),
}

# Parameters of this runtime's constructors that truss's do not have (the `truss` profile
# reports them as unknown).
RUNTIME_ONLY_PARAMETERS: dict[str, frozenset[str]] = {
    CHAINLET_OPTIONS: frozenset({"run_remote_timeout_sec", *SERVER_LIMITS}),
}

# Pydantic models in truss: they take keyword arguments only (and accept a dict instead).
# Compute and Assets are plain classes whose __init__ also takes positional arguments.
KEYWORD_ONLY: frozenset[str] = frozenset(
    {sdk.REMOTE_CONFIG, sdk.DOCKER_IMAGE, CUSTOM_IMAGE, CHAINLET_OPTIONS}
)

# Fields that take a nested SDK config, and the constructor they expect.
SECTIONS: dict[str, str] = {
    "docker_image": sdk.DOCKER_IMAGE,
    "compute": sdk.COMPUTE,
    "assets": sdk.ASSETS,
    "options": CHAINLET_OPTIONS,
}

# Where a CustomImage goes: DockerImage(base_image=CustomImage(...)).
BASE_IMAGE_PATH = "docker_image.base_image"

# Path fields of DockerImage that take one path; external_package_dirs takes a list.
FILE_FIELDS: tuple[str, ...] = ("pip_requirements_file", "requirements_file")
DIR_FIELDS: tuple[str, ...] = ("data_dir",)
