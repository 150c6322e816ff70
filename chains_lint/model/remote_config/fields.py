"""Where each field of ``remote_config`` is stored in the model, and how it is read."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from chains_lint.model.remote_config.calls import Located
from chains_lint.model.remote_config.constructors import SERVER_LIMITS
from chains_lint.model.remote_config.enums import accelerator_enum_member
from chains_lint.model.remote_config.field_values import FieldValues
from chains_lint.model.remote_config.quantities import at_least, integer_value
from chains_lint.model.types import RemoteConfigModel

KEEP = object()  # what a reader returns when the field keeps its default

Read = Callable[[FieldValues, str, Located], object]


@dataclass(frozen=True)
class Field:
    """A field holding a value: where the model keeps it, and how its value is read."""

    part: str  # the part of the model holding it: "docker_image"..., "" for the model itself
    attribute: str
    read: Read

    def store(self, model: RemoteConfigModel, value: object) -> None:
        if value is not KEEP:
            setattr(getattr(model, self.part) if self.part else model, self.attribute, value)


def _found(read: Callable[[FieldValues, str, Located], object | None]) -> Read:
    """``read``, keeping the default when it finds nothing."""

    def read_found(values: FieldValues, path: str, located: Located) -> object:
        found = read(values, path, located)
        return KEEP if found is None else found

    return read_found


def _literal(convert: Callable[[object], object]) -> Read:
    """The literal converted by ``convert``; a value that is not a literal keeps the default."""

    def read_literal(values: FieldValues, path: str, located: Located) -> object:
        if values.unread_if_not_literal(path, located):
            return KEEP
        return convert(located.value.literal)

    return read_literal


def _whole_number(literal: object) -> object:
    number = integer_value(literal)
    return KEEP if number is None else number


def _seconds(literal: object) -> object:
    """A positive number of seconds, or None (no limit)."""
    if literal is None:
        return None
    if isinstance(literal, int | float) and not isinstance(literal, bool) and literal > 0:
        return float(literal)
    return KEEP


def _limit(minimum: int | float) -> Callable[[object], object]:
    """A server limit: None (the default), or a number >= ``minimum`` (whole when it is)."""

    def convert(literal: object) -> object:
        if literal is None:
            return None
        number = at_least(literal, minimum)
        if number is None:
            return KEEP
        return number if isinstance(minimum, int) else float(number)

    return convert


def _text(literal: object) -> object:
    return literal if isinstance(literal, str) else KEEP


def _optional_text(literal: object) -> object:
    # truss treats an empty gpu (or instance_type) as not given.
    return (literal or None) if literal is None or isinstance(literal, str) else KEEP


def _flag(literal: object) -> object:
    return literal if isinstance(literal, bool) else KEEP


def _env_variables(literal: object) -> object:
    if not isinstance(literal, dict):
        return KEEP
    return {k: v for k, v in literal.items() if isinstance(v, str)}


def _any(literal: object) -> object:
    return literal


_read_optional_text = _literal(_optional_text)


def _gpu(values: FieldValues, path: str, located: Located) -> object:
    member = accelerator_enum_member(values.namespace, located.value)
    if member is not None:
        return member
    return _read_optional_text(values, path, located)


# Every field that holds a value (fields holding a nested constructor are read by the reader).
FIELDS: dict[str, Field] = {
    "name": Field("", "name", _found(FieldValues.string)),
    "build_commands": Field("", "build_commands", _found(FieldValues.strings)),
    "docker_image.pip_requirements_file": Field(
        "docker_image", "pip_requirements_file", FieldValues.path
    ),
    "docker_image.pip_requirements": Field(
        "docker_image", "pip_requirements", _found(FieldValues.strings)
    ),
    "docker_image.apt_requirements": Field(
        "docker_image", "apt_requirements", _found(FieldValues.strings)
    ),
    "docker_image.requirements_file": Field("docker_image", "requirements_file", FieldValues.path),
    "docker_image.data_dir": Field("docker_image", "data_dir", FieldValues.path),
    "docker_image.external_package_dirs": Field(
        "docker_image", "external_package_dirs", FieldValues.paths
    ),
    "docker_image.truss_server_version_override": Field(
        "docker_image", "truss_server_version_override", FieldValues.string
    ),
    # CustomImage(image=...) is the base image.
    "docker_image.base_image.image": Field("docker_image", "base_image", FieldValues.string),
    "docker_image.base_image.python_executable_path": Field(
        "docker_image", "python_executable_path", FieldValues.string
    ),
    "docker_image.base_image.docker_auth": Field("docker_image", "docker_auth", FieldValues.object),
    "compute.cpu_count": Field("compute", "cpu_count", _literal(_whole_number)),
    "compute.memory": Field("compute", "memory", _literal(_text)),
    "compute.gpu": Field("compute", "gpu", _gpu),
    "compute.gpu_count": Field("compute", "gpu_count", _literal(_whole_number)),
    "compute.predict_concurrency": Field("compute", "predict_concurrency", _literal(_whole_number)),
    "compute.instance_type": Field("compute", "instance_type", _read_optional_text),
    "assets.cached": Field("assets", "cached", FieldValues.objects),
    "assets.secret_keys": Field("assets", "secret_keys", _found(FieldValues.strings)),
    "assets.external_data": Field("assets", "external_data", FieldValues.objects),
    "assets.weights": Field("assets", "weights", FieldValues.objects),
    "options.enable_b10_tracing": Field("options", "enable_b10_tracing", _literal(_flag)),
    "options.enable_debug_logs": Field("options", "enable_debug_logs", _literal(_flag)),
    "options.env_variables": Field("options", "env_variables", _literal(_env_variables)),
    "options.health_checks": Field("options", "health_checks", FieldValues.object),
    "options.metadata": Field("options", "metadata", _literal(_any)),
    "options.streaming_read_timeout": Field(
        "options", "streaming_read_timeout", _literal(_whole_number)
    ),
    "options.transport": Field("options", "transport", FieldValues.object),
    "options.run_remote_timeout_sec": Field(
        "options", "run_remote_timeout_sec", _literal(_seconds)
    ),
    **{
        f"options.{name}": Field("options", name, _literal(_limit(minimum)))
        for name, minimum in SERVER_LIMITS.items()
    },
}
