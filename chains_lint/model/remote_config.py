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
"""

from __future__ import annotations

import math
import os.path
import re
from dataclasses import dataclass

from chains_lint.diagnostics import Span
from chains_lint.model import sdk
from chains_lint.model.accelerators import accelerator
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import (
    ConfigObject,
    LiteralValue,
    RemoteConfigModel,
    StaticCall,
    StaticValue,
)
from chains_lint.model.values import read_value

BASETEN_IMAGE_PREFIX = "baseten:"
DEFAULT_BASE_IMAGE = "baseten:py311"  # what an unset base_image means (BasetenImage.PY311)

BASETEN_IMAGE = "BasetenImage"
CUSTOM_IMAGE = "CustomImage"
CHAINLET_OPTIONS = "ChainletOptions"

# BasetenImage members and their values.
BASETEN_IMAGES: dict[str, str] = {"PY39": "py39", "PY310": "py310", "PY311": "py311"}

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
    ),
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

# Path fields of DockerImage that take one path; external_package_dirs takes a list.
FILE_FIELDS: tuple[str, ...] = ("pip_requirements_file", "requirements_file")
DIR_FIELDS: tuple[str, ...] = ("data_dir",)

# Enums of truss.base.truss_config that appear inside config objects: member -> value.
_TRUSS_ENUMS: dict[str, dict[str, str] | None] = {
    "DockerAuthType": None,  # values equal the member names
    "WeightsAuthMethod": None,
    "ModelRepoSourceKind": {"HF": "hf", "GCS": "gcs", "S3": "s3", "AZURE": "azure"},
    "TransportKind": {"HTTP": "http", "WEBSOCKET": "websocket", "GRPC": "grpc"},
}

_MAX_HOPS = 8


@dataclass(frozen=True)
class Located:
    """An expression together with the module it is written in."""

    module: ModuleInfo
    value: StaticValue


@dataclass(frozen=True)
class ConfigCall:
    """An SDK constructor call inside ``remote_config``: ``Compute(...)`` of ``compute=``..."""

    symbol: str  # "RemoteConfig", "DockerImage", "Compute", "Assets", "CustomImage"...
    path: str  # "" for RemoteConfig itself, else the field: "compute", "docker_image.base_image"
    value: StaticValue
    call: StaticCall
    module: ModuleInfo

    @property
    def parameters(self) -> tuple[str, ...]:
        return PARAMETERS[self.symbol]

    def field_path(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def arguments(self) -> list[tuple[str, StaticValue]]:
        """Arguments by parameter name; positional ones only where the constructor takes them."""
        named: list[tuple[str, StaticValue]] = []
        if self.symbol not in KEYWORD_ONLY:
            # Extra positional arguments have no parameter (CH703 reports them).
            named.extend(zip(self.parameters, self.call.args, strict=False))
        named.extend(self.call.kwargs)
        return named

    def argument(self, name: str) -> StaticValue | None:
        for key, value in self.arguments():
            if key == name:
                return value
        return None


def resolve(namespace: Namespace, module: ModuleInfo, value: StaticValue) -> Located:
    """Follow a name bound to a constant of another (imported) module to its expression.

    Constants of the same module are already folded in by ``read_value``.
    """
    current = Located(module, value)
    for _ in range(_MAX_HOPS):
        v = current.value
        if v.call is not None or v.is_literal or v.elements is not None:
            return current
        target = _imported_constant(namespace, v.qualified_name)
        if target is None:
            return current
        current = target
    return current


def _imported_constant(namespace: Namespace, qualified: str | None) -> Located | None:
    canonical = namespace.canonical(qualified)
    if canonical is None:
        return None
    module_name, _, name = canonical.rpartition(".")
    module = namespace.modules.get(module_name)
    if module is None:
        return None
    node = module.constants.get(name)
    if node is None:
        return None
    return Located(module, read_value(module, node))


def call_symbol(namespace: Namespace, value: StaticValue) -> str | None:
    """The SDK symbol ``value`` is a call of (``"Compute"``...), or None."""
    if value.call is None:
        return None
    return namespace.sdk_symbol(value.call.callee)


def baseten_image_member(namespace: Namespace, value: StaticValue) -> str | None:
    """``"PY311"`` for ``BasetenImage.PY311`` under any import form, else None."""
    qualified = namespace.canonical(value.qualified_name)
    if qualified is None or value.call is not None:
        return None
    owner, _, member = qualified.rpartition(".")
    if namespace.sdk_symbol(owner) != BASETEN_IMAGE:
        return None
    return member


def is_unreadable(namespace: Namespace, located: Located) -> bool:
    """True when the expression's value cannot be known statically at all.

    Calls of functions that are not part of the SDK, names that are not constants,
    f-strings, arithmetic... Literals and SDK calls are readable (even when wrong).
    """
    value = located.value
    if value.is_literal or value.elements is not None:
        return False
    if value.call is not None:
        return call_symbol(namespace, value) is None
    # An SDK name (``chains.BasetenImage.PY311``, or wrongly ``chains.BasetenImage``).
    return namespace.sdk_symbol(value.qualified_name) is None


def config_calls(namespace: Namespace, module: ModuleInfo, value: StaticValue) -> list[ConfigCall]:
    """The SDK constructor calls making up a ``remote_config`` value, outermost first.

    Empty when the value is not a ``RemoteConfig(...)`` call.
    """
    root = resolve(namespace, module, value)
    if call_symbol(namespace, root.value) != sdk.REMOTE_CONFIG or root.value.call is None:
        return []
    top = ConfigCall(sdk.REMOTE_CONFIG, "", root.value, root.value.call, root.module)
    found = [top]
    for name, argument in top.arguments():
        expected = SECTIONS.get(name)
        section = _section_call(namespace, root.module, argument, expected, name)
        if section is None:
            continue
        found.append(section)
        if section.symbol != sdk.DOCKER_IMAGE:
            continue
        for image_name, image_arg in section.arguments():
            if image_name == "base_image":
                image = _section_call(
                    namespace, section.module, image_arg, CUSTOM_IMAGE, "docker_image.base_image"
                )
                if image is not None:
                    found.append(image)
    return found


def _section_call(
    namespace: Namespace,
    module: ModuleInfo,
    value: StaticValue,
    expected: str | None,
    path: str,
) -> ConfigCall | None:
    if expected is None:
        return None
    located = resolve(namespace, module, value)
    call = located.value.call
    if call is None or call_symbol(namespace, located.value) != expected:
        return None
    return ConfigCall(expected, path, located.value, call, located.module)


def read_remote_config(
    namespace: Namespace, module: ModuleInfo, value: StaticValue, owner: str
) -> RemoteConfigModel:
    model = RemoteConfigModel(value=value, owner=owner)
    _Reader(namespace, model).read(module, value)
    return model


class _Reader:
    def __init__(self, namespace: Namespace, model: RemoteConfigModel) -> None:
        self.namespace = namespace
        self.model = model

    # -- entry ----------------------------------------------------------------

    def read(self, module: ModuleInfo, value: StaticValue) -> None:
        calls = config_calls(self.namespace, module, value)
        if not calls:
            if is_unreadable(self.namespace, resolve(self.namespace, module, value)):
                self._unread("remote_config", value.span)
            return
        top = calls[0]
        self._note_star_args(top)
        for name, argument in top.arguments():
            located = resolve(self.namespace, top.module, argument)
            if name in top.parameters:
                self.model.sources[name] = argument
            if name in SECTIONS:
                self._section(name, located, calls)
            elif name == "name":
                self._name(located)
            elif name == "build_commands":
                commands = self._strings("build_commands", located)
                if commands is not None:
                    self.model.build_commands = commands

    def _section(self, name: str, located: Located, calls: list[ConfigCall]) -> None:
        call = next((c for c in calls if c.path == name), None)
        if call is not None:
            self._note_star_args(call)
            for field_name, argument in call.arguments():
                if field_name in call.parameters:
                    self._field(call.symbol, name, field_name, call.module, argument, calls)
            if call.symbol == sdk.COMPUTE:
                self._resolve_predict_concurrency(call)
            return
        value = located.value
        if SECTIONS[name] in KEYWORD_ONLY and isinstance(value.literal, dict):
            for field_name, item in value.literal.items():
                if field_name in PARAMETERS[SECTIONS[name]]:
                    synthetic = _synthetic(value, item)
                    self._field(SECTIONS[name], name, field_name, located.module, synthetic, calls)
            return
        if is_unreadable(self.namespace, located):
            self._unread(name, value.span)

    def _field(
        self,
        symbol: str,
        section: str,
        name: str,
        module: ModuleInfo,
        argument: StaticValue,
        calls: list[ConfigCall],
    ) -> None:
        path = f"{section}.{name}"
        self.model.sources[path] = argument
        located = resolve(self.namespace, module, argument)
        if symbol == sdk.DOCKER_IMAGE:
            self._docker_image_field(name, path, located, calls)
        elif symbol == sdk.COMPUTE:
            self._compute_field(name, path, located)
        elif symbol == sdk.ASSETS:
            self._assets_field(name, path, located)
        elif symbol == CHAINLET_OPTIONS:
            self._options_field(name, path, located)

    # -- RemoteConfig ---------------------------------------------------------

    def _name(self, located: Located) -> None:
        text = self._string("name", located)
        if text is not None:
            self.model.name = text

    # -- DockerImage ------------------------------------------------------------

    def _docker_image_field(
        self, name: str, path: str, located: Located, calls: list[ConfigCall]
    ) -> None:
        image = self.model.docker_image
        if name == "base_image":
            self._base_image(located, calls)
        elif name in ("pip_requirements", "apt_requirements"):
            items = self._strings(path, located)
            if items is not None:
                setattr(image, name, items)
        elif name in FILE_FIELDS or name in DIR_FIELDS:
            setattr(image, name, self._path(path, located))
        elif name == "external_package_dirs":
            image.external_package_dirs = self._paths(path, located)
        elif name == "truss_server_version_override":
            image.truss_server_version_override = self._string(path, located)

    def _base_image(self, located: Located, calls: list[ConfigCall]) -> None:
        path = "docker_image.base_image"
        image = self.model.docker_image
        value = located.value
        member = baseten_image_member(self.namespace, value)
        if member is not None:
            if member in BASETEN_IMAGES:
                image.base_image = BASETEN_IMAGE_PREFIX + BASETEN_IMAGES[member]
            return
        if isinstance(value.literal, str):
            image.base_image = value.literal
            return
        custom = next((c for c in calls if c.path == path), None)
        if custom is not None:
            self._note_star_args(custom)
            for name, argument in custom.arguments():
                if name in custom.parameters:
                    self._custom_image_field(name, f"{path}.{name}", custom.module, argument)
            return
        if isinstance(value.literal, dict):
            for name, item in value.literal.items():
                if name in PARAMETERS[CUSTOM_IMAGE]:
                    synthetic = _synthetic(value, item)
                    self._custom_image_field(name, f"{path}.{name}", located.module, synthetic)
            return
        if is_unreadable(self.namespace, located):
            self._unread(path, value.span)

    def _custom_image_field(
        self, name: str, path: str, module: ModuleInfo, argument: StaticValue
    ) -> None:
        self.model.sources[path] = argument
        located = resolve(self.namespace, module, argument)
        image = self.model.docker_image
        if name == "image":
            image.base_image = self._string(path, located)
        elif name == "python_executable_path":
            image.python_executable_path = self._string(path, located)
        elif name == "docker_auth":
            image.docker_auth = self._object(path, located)

    # -- Compute ------------------------------------------------------------------

    def _compute_field(self, name: str, path: str, located: Located) -> None:
        compute = self.model.compute
        if name == "gpu":
            member = accelerator_enum_member(self.namespace, located.value)
            if member is not None:
                compute.gpu = member
                return
        if self._unread_if_not_literal(path, located):
            return
        literal = located.value.literal
        if name in ("cpu_count", "gpu_count", "predict_concurrency"):
            number = integer_value(literal)
            if number is not None:
                setattr(compute, name, number)
        elif name == "memory" and isinstance(literal, str):
            compute.memory = literal
        elif name in ("gpu", "instance_type") and (literal is None or isinstance(literal, str)):
            # truss treats an empty gpu (or instance_type) as not given.
            setattr(compute, name, literal or None)

    def _resolve_predict_concurrency(self, call: ConfigCall) -> None:
        argument = call.argument("predict_concurrency")
        if argument is None:
            return
        located = resolve(self.namespace, call.module, argument)
        if located.value.literal == "cpu_count":
            self.model.compute.predict_concurrency = self.model.compute.cpu_count

    # -- Assets -------------------------------------------------------------------

    def _assets_field(self, name: str, path: str, located: Located) -> None:
        assets = self.model.assets
        if name == "secret_keys":
            keys = self._strings(path, located)
            if keys is not None:
                assets.secret_keys = keys
        elif name in ("cached", "external_data", "weights"):
            setattr(assets, name, self._objects(path, located))

    # -- ChainletOptions ----------------------------------------------------------

    def _options_field(self, name: str, path: str, located: Located) -> None:
        options = self.model.options
        if name in ("health_checks", "transport"):
            setattr(options, name, self._object(path, located))
            return
        if self._unread_if_not_literal(path, located):
            return
        literal = located.value.literal
        if name in ("enable_b10_tracing", "enable_debug_logs") and isinstance(literal, bool):
            setattr(options, name, literal)
        elif name == "env_variables" and isinstance(literal, dict):
            options.env_variables = {k: v for k, v in literal.items() if isinstance(v, str)}
        elif name == "metadata":
            options.metadata = literal  # type: ignore[assignment]
        elif name == "streaming_read_timeout":
            number = integer_value(literal)
            if number is not None:
                options.streaming_read_timeout = number

    # -- value readers --------------------------------------------------------------

    def _string(self, path: str, located: Located) -> str | None:
        if self._unread_if_not_literal(path, located):
            return None
        literal = located.value.literal
        return literal if isinstance(literal, str) else None

    def _strings(self, path: str, located: Located) -> list[str] | None:
        """A list (or tuple) of strings; None when the value is not a sequence display."""
        value = located.value
        if isinstance(value.literal, (list, tuple)):
            return [item for item in value.literal if isinstance(item, str)]
        if value.elements is None:
            if is_unreadable(self.namespace, located):
                self._unread(path, value.span)
            return None
        items: list[str] = []
        for index, element in enumerate(value.elements):
            item = resolve(self.namespace, located.module, element)
            text = self._string(f"{path}[{index}]", item)
            if text is not None:
                items.append(text)
        return items

    def _path(self, path: str, located: Located) -> str | None:
        resolved = resolve_path(self.namespace, located)
        if resolved is not None:
            return resolved
        inner = abs_path_argument(self.namespace, located)
        if inner is not None:
            self._unread_if_not_literal(path, inner)
        elif is_unreadable(self.namespace, located):
            self._unread(path, located.value.span)
        return None

    def _paths(self, path: str, located: Located) -> list[str]:
        value = located.value
        if value.elements is None:
            if isinstance(value.literal, (list, tuple)):
                items = [i for i in value.literal if isinstance(i, str)]
                return [absolute_path(located.module, i) for i in items]
            if is_unreadable(self.namespace, located):
                self._unread(path, value.span)
            return []
        paths: list[str] = []
        for index, element in enumerate(value.elements):
            item = resolve(self.namespace, located.module, element)
            resolved = self._path(f"{path}[{index}]", item)
            if resolved is not None:
                paths.append(resolved)
        return paths

    def _objects(self, path: str, located: Located) -> list[ConfigObject]:
        value = located.value
        if value.elements is None:
            if isinstance(value.literal, (list, tuple)):
                return [ConfigObject(None, dict(i)) for i in value.literal if isinstance(i, dict)]
            if is_unreadable(self.namespace, located):
                self._unread(path, value.span)
            return []
        objects: list[ConfigObject] = []
        for index, element in enumerate(value.elements):
            item = resolve(self.namespace, located.module, element)
            found = self._object(f"{path}[{index}]", item)
            if found is not None:
                objects.append(found)
        return objects

    def _object(self, path: str, located: Located) -> ConfigObject | None:
        value = located.value
        if isinstance(value.literal, dict):
            return ConfigObject(None, dict(value.literal))
        if value.is_literal:
            return None
        call = value.call
        if call is None or call.callee is None:
            self._unread(path, value.span)
            return None
        found = ConfigObject(call.callee.rpartition(".")[2])
        if call.has_star_args or call.args:
            self._unread(path, value.span)
        for key, argument in call.kwargs:
            item = resolve(self.namespace, located.module, argument)
            literal = self._object_field(item.value)
            if literal is _MISSING:
                self._unread(f"{path}.{key}", argument.span)
            else:
                found.fields[key] = literal  # type: ignore[assignment]
        return found

    def _object_field(self, value: StaticValue) -> LiteralValue | object:
        if value.is_literal:
            return value.literal
        return truss_enum_value(self.namespace, value)

    # -- bookkeeping ------------------------------------------------------------------

    def _unread_if_not_literal(self, path: str, located: Located) -> bool:
        """Record ``path`` as unread when its value is not a literal; True if so."""
        if located.value.is_literal:
            return False
        if is_unreadable(self.namespace, located):
            self._unread(path, located.value.span)
        return True

    def _note_star_args(self, call: ConfigCall) -> None:
        if call.call.has_star_args:
            self._unread(call.field_path("**"), call.value.span)

    def _unread(self, path: str, span: Span) -> None:
        entry = (path, span)
        if entry not in self.model.unread:
            self.model.unread.append(entry)


_MISSING = object()


def abs_path_argument(namespace: Namespace, located: Located) -> Located | None:
    """The argument of a ``make_abs_path_here(...)`` call, or None for anything else."""
    value = located.value
    call = value.call
    if call is None or call_symbol(namespace, value) != sdk.MAKE_ABS_PATH_HERE:
        return None
    argument = call.args[0] if call.args else call.kwarg("file_path")
    if argument is None:
        return None
    return resolve(namespace, located.module, argument)


def resolve_path(namespace: Namespace, located: Located) -> str | None:
    """The absolute path a path value stands for: ``make_abs_path_here("x")`` or ``"x"``.

    Relative paths are resolved against the folder of the file the expression is
    written in. None when the value is not a literal path.
    """
    inner = abs_path_argument(namespace, located)
    target = inner if inner is not None else located
    if call_symbol(namespace, located.value) is not None and inner is None:
        return None
    literal = target.value.literal
    if not isinstance(literal, str):
        return None
    # make_abs_path_here resolves against the file the call is written in.
    return absolute_path(located.module, literal)


def accelerator_enum_member(namespace: Namespace, value: StaticValue) -> str | None:
    """``"H100"`` for ``truss_config.Accelerator.H100`` (truss accepts the enum for gpu)."""
    qualified = namespace.canonical(value.qualified_name)
    if qualified is None or not qualified.startswith("truss.") or value.call is not None:
        return None
    owner, _, member = qualified.rpartition(".")
    if owner.rpartition(".")[2] != "Accelerator":
        return None
    return member.lstrip("_")


def truss_enum_value(namespace: Namespace, value: StaticValue) -> str | object:
    """The value of a truss config enum member such as ``DockerAuthType.AWS_IAM``.

    Returns ``_MISSING`` when ``value`` is not such a member.
    """
    qualified = namespace.canonical(value.qualified_name)
    if qualified is None or not qualified.startswith("truss"):
        return _MISSING
    parts = qualified.split(".")
    if len(parts) < 2 or parts[-2] not in _TRUSS_ENUMS:
        return _MISSING
    members = _TRUSS_ENUMS[parts[-2]]
    if members is None:
        return parts[-1]
    return members.get(parts[-1], _MISSING)


# A Kubernetes quantity as truss accepts it for memory: a plain number of bytes, or a
# number with a binary (Ki, Mi...) or decimal (k, M...) suffix.
MEMORY_UNITS: dict[str, int] = {
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_MEMORY = re.compile(rf"(?P<number>{_NUMBER})(?:(?P<exponent>[eE][+-]?\d+)|(?P<unit>[A-Za-z]+))?")


def parse_memory(quantity: str) -> int | None:
    """The number of bytes a memory quantity such as ``"2Gi"`` stands for, or None if invalid."""
    match = _MEMORY.fullmatch(quantity)
    if match is None:
        return None
    unit = match.group("unit")
    if unit is not None and unit not in MEMORY_UNITS:
        return None
    number = float(match.group("number") + (match.group("exponent") or ""))
    return math.ceil(number * MEMORY_UNITS.get(unit or "", 1))


@dataclass(frozen=True)
class InstanceType:
    """An instance type such as ``"L4:4x16"``: GPU, GPU count, vCPUs and memory in GiB."""

    gpu: str | None
    gpu_count: int
    cpu_count: int
    memory_gib: int


_INSTANCE_TYPE = re.compile(r"(?:(?P<gpu>[^:]+):)?(?P<numbers>\d+(?:x\d+){1,2})")


def parse_instance_type(text: str) -> InstanceType | None:
    """Parse ``"<vCPUs>x<GiB>"``, ``"<GPU>:<vCPUs>x<GiB>"`` or ``"<GPU>:<count>x<vCPUs>x<GiB>"``.

    The GPU must be a known accelerator name. None when ``text`` has another form.
    """
    match = _INSTANCE_TYPE.fullmatch(text)
    if match is None:
        return None
    gpu = match.group("gpu")
    numbers = [int(n) for n in match.group("numbers").split("x")]
    if gpu is not None and accelerator(gpu) is None:
        return None
    if any(n <= 0 for n in numbers) or (gpu is None and len(numbers) == 3):
        return None
    gpu_count = numbers.pop(0) if len(numbers) == 3 else (1 if gpu else 0)
    return InstanceType(gpu, gpu_count, numbers[0], numbers[1])


def integer_value(literal: LiteralValue | object) -> int | None:
    """``literal`` as an int when it is one (or a float without fraction), else None."""
    if isinstance(literal, bool):
        return None
    if isinstance(literal, int):
        return literal
    if isinstance(literal, float) and literal.is_integer():
        return int(literal)
    return None


def absolute_path(module: ModuleInfo, path: str) -> str:
    """``path`` made absolute against the folder of ``module``'s file (as make_abs_path_here)."""
    if os.path.isabs(path):
        return path
    folder = os.path.dirname(os.path.abspath(module.path))
    return os.path.normpath(os.path.join(folder, path))


def _synthetic(container: StaticValue, literal: LiteralValue) -> StaticValue:
    """A value read from inside a literal dict: it has the dict's node and span."""
    return StaticValue(container.node, container.span, container.text, literal)
