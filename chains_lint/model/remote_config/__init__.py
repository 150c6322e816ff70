"""Reading ``remote_config = RemoteConfig(...)`` into a typed model, from literals.

Only what is written as literals (or module-level constants bound to literals, also
imported ones) is read; a value that is present but cannot be read statically is listed
in ``RemoteConfigModel.unread`` and its field keeps its default.

How values are stored:

- ``BasetenImage.PY311`` becomes ``"baseten:py311"`` (:data:`BASETEN_IMAGE_PREFIX` plus
  the enum value), ``CustomImage(image="x")`` and a plain string become ``"x"``.
- Paths (``make_abs_path_here("x")`` or a plain string) become absolute paths, resolved
  against the folder of the file the expression is written in, as truss does.
- ``predict_concurrency="cpu_count"`` becomes the value of ``cpu_count``.
- Config objects from truss (``ModelRepo(...)``, ``WeightsSource(...)``, ``HealthChecks(...)``,
  dicts) become :class:`ConfigObject` with their literal fields.

The modules: ``constructors`` (the SDK constructors' parameters, as data), ``calls``
(finding the constructor calls), ``enums``, ``paths`` and ``quantities`` (reading kinds of
values), ``field_values`` and ``fields`` (reading one field, and where it goes), ``reader``.
"""

from __future__ import annotations

from chains_lint.model.remote_config.calls import (
    ConfigCall,
    Located,
    call_symbol,
    config_calls,
    is_unreadable,
    resolve,
)
from chains_lint.model.remote_config.constructors import (
    BASETEN_IMAGE,
    BASETEN_IMAGE_PREFIX,
    BASETEN_IMAGES,
    CHAINLET_OPTIONS,
    CUSTOM_IMAGE,
    DEFAULT_BASE_IMAGE,
    DIR_FIELDS,
    FILE_FIELDS,
    KEYWORD_ONLY,
    PARAMETERS,
    SECTIONS,
)
from chains_lint.model.remote_config.enums import (
    accelerator_enum_member,
    baseten_image_member,
    truss_enum_value,
)
from chains_lint.model.remote_config.paths import abs_path_argument, absolute_path, resolve_path
from chains_lint.model.remote_config.quantities import (
    MEMORY_UNITS,
    InstanceType,
    integer_value,
    parse_instance_type,
    parse_memory,
)
from chains_lint.model.remote_config.reader import read_remote_config

__all__ = [
    "BASETEN_IMAGE",
    "BASETEN_IMAGES",
    "BASETEN_IMAGE_PREFIX",
    "CHAINLET_OPTIONS",
    "CUSTOM_IMAGE",
    "DEFAULT_BASE_IMAGE",
    "DIR_FIELDS",
    "FILE_FIELDS",
    "KEYWORD_ONLY",
    "MEMORY_UNITS",
    "PARAMETERS",
    "SECTIONS",
    "ConfigCall",
    "InstanceType",
    "Located",
    "abs_path_argument",
    "absolute_path",
    "accelerator_enum_member",
    "baseten_image_member",
    "call_symbol",
    "config_calls",
    "integer_value",
    "is_unreadable",
    "parse_instance_type",
    "parse_memory",
    "read_remote_config",
    "resolve",
    "resolve_path",
    "truss_enum_value",
]
