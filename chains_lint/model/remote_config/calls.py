"""The SDK constructor calls a ``remote_config`` value is made of, found across modules."""

from __future__ import annotations

from dataclasses import dataclass

from chains_lint.model import sdk
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.remote_config.constructors import (
    BASE_IMAGE_PATH,
    CUSTOM_IMAGE,
    KEYWORD_ONLY,
    PARAMETERS,
    SECTIONS,
)
from chains_lint.model.types import StaticCall, StaticValue
from chains_lint.model.values import read_value

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
                    namespace, section.module, image_arg, CUSTOM_IMAGE, BASE_IMAGE_PATH
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
