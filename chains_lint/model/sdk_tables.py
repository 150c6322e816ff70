"""The SDK's constructors and ``depends()`` options, as data: generated from the runtime.

Made by ``scripts/generate_sdk_tables.py`` from the pydantic models of
``chains_runtime.definitions`` and the signature of ``chains_runtime.markers.depends``,
so the linter knows the SDK without importing pydantic or the runtime. Do not edit:
change the runtime and run ``.venv/bin/python scripts/generate_sdk_tables.py``
(``tests/test_sdk_tables.py`` fails while this file is stale).
"""

from __future__ import annotations

Default = None | bool | int | float | str | list[object] | dict[str, object]

PARAMETERS: dict[str, tuple[str, ...]] = {
    "RemoteConfig": (
        "docker_image",
        "compute",
        "assets",
        "name",
        "options",
        "build_commands",
    ),
    "DockerImage": (
        "base_image",
        "pip_requirements_file",
        "pip_requirements",
        "requirements_file",
        "apt_requirements",
        "data_dir",
        "external_package_dirs",
        "truss_server_version_override",
    ),
    "Compute": (
        "cpu_count",
        "memory",
        "gpu",
        "gpu_count",
        "predict_concurrency",
        "instance_type",
    ),
    "Assets": (
        "cached",
        "secret_keys",
        "external_data",
        "weights",
    ),
    "CustomImage": (
        "image",
        "python_executable_path",
        "docker_auth",
    ),
    "ChainletOptions": (
        "enable_b10_tracing",
        "enable_debug_logs",
        "env_variables",
        "health_checks",
        "metadata",
        "streaming_read_timeout",
        "transport",
        "run_remote_timeout_sec",
        "max_connections",
        "idle_timeout_sec",
        "head_timeout_sec",
        "body_timeout_sec",
        "max_head_bytes",
    ),
    "RPCOptions": (
        "retries",
        "timeout_sec",
        "use_binary",
        "concurrency_limit",
        "max_response_bytes",
        "max_frame_bytes",
    ),
}
"""Each constructor's parameters, in positional order."""

POSITIONAL: frozenset[str] = frozenset({"Assets", "Compute"})
"""Constructors that take positional arguments; the others (plain pydantic models) take
keyword arguments only."""

DEFAULTS: dict[str, dict[str, Default]] = {
    "RemoteConfig": {
        "name": None,
        "build_commands": [],
    },
    "DockerImage": {
        "base_image": "py311",
        "pip_requirements_file": None,
        "pip_requirements": [],
        "requirements_file": None,
        "apt_requirements": [],
        "data_dir": None,
        "external_package_dirs": None,
        "truss_server_version_override": None,
    },
    "Compute": {
        "cpu_count": 1,
        "memory": "2Gi",
        "gpu": None,
        "gpu_count": 1,
        "predict_concurrency": 1,
        "instance_type": None,
    },
    "Assets": {
        "cached": [],
        "secret_keys": [],
        "external_data": [],
        "weights": [],
    },
    "CustomImage": {
        "python_executable_path": None,
        "docker_auth": None,
    },
    "ChainletOptions": {
        "enable_b10_tracing": False,
        "enable_debug_logs": False,
        "env_variables": {},
        "health_checks": None,
        "metadata": None,
        "streaming_read_timeout": 60,
        "transport": None,
        "run_remote_timeout_sec": None,
        "max_connections": None,
        "idle_timeout_sec": None,
        "head_timeout_sec": None,
        "body_timeout_sec": None,
        "max_head_bytes": None,
    },
    "RPCOptions": {
        "retries": 1,
        "timeout_sec": 600.0,
        "use_binary": False,
        "concurrency_limit": 300,
        "max_response_bytes": 67108864,
        "max_frame_bytes": 16777216,
    },
}
"""Each constructor's literal defaults (enum members as their values)."""

MINIMUMS: dict[str, dict[str, int | float]] = {
    "Compute": {
        "cpu_count": 1,
        "gpu_count": 1,
        "predict_concurrency": 1,
    },
    "ChainletOptions": {
        "streaming_read_timeout": 1,
        "max_connections": 1,
        "idle_timeout_sec": 0.01,
        "head_timeout_sec": 0.01,
        "body_timeout_sec": 0.01,
        "max_head_bytes": 256,
    },
    "RPCOptions": {
        "retries": 0,
        "concurrency_limit": 1,
        "max_response_bytes": 1,
        "max_frame_bytes": 1,
    },
}
"""The smallest value (``ge=``) of the fields that have one."""

SERVER_LIMIT_MINIMUMS: dict[str, int | float] = {
    "max_connections": 1,
    "idle_timeout_sec": 0.01,
    "head_timeout_sec": 0.01,
    "body_timeout_sec": 0.01,
    "max_head_bytes": 256,
}
"""The ``ChainletOptions`` fields named like the server's limits
(``chains_runtime.server.limits.ServerLimits``), with their smallest value."""

BASETEN_IMAGES: dict[str, str] = {
    "PY39": "py39",
    "PY310": "py310",
    "PY311": "py311",
}
"""``BasetenImage`` members and their values."""

DEFAULT_BASETEN_IMAGE = "py311"
"""The ``BasetenImage`` value an unset ``base_image`` means."""

DEPENDS_TARGET = "chainlet_cls"

DEPENDS_POSITIONAL_OPTIONS: dict[str, bool | int | float] = {
    "retries": 1,
    "timeout_sec": 600.0,
    "use_binary": False,
    "concurrency_limit": 300,
}
"""``depends()``'s options after the chainlet class, in positional order, with their defaults."""

DEPENDS_KEYWORD_ONLY_OPTIONS: dict[str, bool | int | float] = {
    "max_response_bytes": 67108864,
    "max_frame_bytes": 16777216,
}
"""``depends()``'s keyword-only options (not in truss), with their defaults."""
