"""The SDK constructors ``remote_config`` is built from: their parameters, as data."""

from __future__ import annotations

from chains_lint.model import sdk, sdk_tables

BASETEN_IMAGE_PREFIX = "baseten:"
DEFAULT_BASE_IMAGE = BASETEN_IMAGE_PREFIX + sdk_tables.DEFAULT_BASETEN_IMAGE
"""What an unset base_image means (``BasetenImage.PY311``)."""

BASETEN_IMAGE = "BasetenImage"
CUSTOM_IMAGE = "CustomImage"
CHAINLET_OPTIONS = "ChainletOptions"

# BasetenImage members and their values.
BASETEN_IMAGES: dict[str, str] = sdk_tables.BASETEN_IMAGES

# chains_runtime only: the chainlet server's HTTP limits (ChainletOptions fields named like
# chains_runtime.server.limits.ServerLimits), each with its smallest value.
SERVER_LIMITS: dict[str, int | float] = sdk_tables.SERVER_LIMIT_MINIMUMS

# The parameters of each SDK constructor, in their positional order: the runtime's models'.
PARAMETERS: dict[str, tuple[str, ...]] = {
    symbol: sdk_tables.PARAMETERS[symbol]
    for symbol in (
        sdk.REMOTE_CONFIG, sdk.DOCKER_IMAGE, sdk.COMPUTE, sdk.ASSETS, CUSTOM_IMAGE,
        CHAINLET_OPTIONS,
    )
}  # fmt: skip

# Parameters of this runtime's constructors that truss's do not have (the `truss` profile
# reports them as unknown); tests/test_sdk_definition.py checks them against truss 0.18.36.
RUNTIME_ONLY_PARAMETERS: dict[str, frozenset[str]] = {
    CHAINLET_OPTIONS: frozenset({"run_remote_timeout_sec", *SERVER_LIMITS}),
}

# Pydantic models in truss: they take keyword arguments only (and accept a dict instead).
# Compute and Assets are plain classes whose __init__ also takes positional arguments.
KEYWORD_ONLY: frozenset[str] = frozenset(PARAMETERS) - sdk_tables.POSITIONAL

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
