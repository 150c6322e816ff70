"""Reading ``remote_config = RemoteConfig(...)`` into a :class:`RemoteConfigModel`."""

from __future__ import annotations

from chains_lint.model import sdk
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.remote_config.calls import (
    ConfigCall,
    Located,
    config_calls,
    is_unreadable,
    resolve,
)
from chains_lint.model.remote_config.constructors import (
    BASE_IMAGE_PATH,
    BASETEN_IMAGE_PREFIX,
    BASETEN_IMAGES,
    CUSTOM_IMAGE,
    KEYWORD_ONLY,
    PARAMETERS,
    SECTIONS,
)
from chains_lint.model.remote_config.enums import baseten_image_member
from chains_lint.model.remote_config.field_values import FieldValues
from chains_lint.model.remote_config.fields import FIELDS
from chains_lint.model.types import LiteralValue, RemoteConfigModel, StaticValue

# Fields that hold a nested constructor, by path, and the constructor.
_NESTED: dict[str, str] = {**SECTIONS, BASE_IMAGE_PATH: CUSTOM_IMAGE}


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
        self.values = FieldValues(namespace, model.unread)

    def read(self, module: ModuleInfo, value: StaticValue) -> None:
        calls = config_calls(self.namespace, module, value)
        if not calls:
            if is_unreadable(self.namespace, resolve(self.namespace, module, value)):
                self.values.add_unread("remote_config", value.span)
            return
        self._call(calls[0], calls)

    def _call(self, call: ConfigCall, calls: list[ConfigCall]) -> None:
        """The fields given to one constructor call."""
        self.values.note_star_args(call)
        parameters = call.parameters
        for name, argument in call.arguments():
            if name in parameters:
                self._field(call.field_path(name), call.module, argument, calls)
        if call.symbol == sdk.COMPUTE:
            self._resolve_predict_concurrency(call)

    def _field(
        self, path: str, module: ModuleInfo, argument: StaticValue, calls: list[ConfigCall]
    ) -> None:
        self.model.sources[path] = argument
        located = resolve(self.namespace, module, argument)
        symbol = _NESTED.get(path)
        if symbol is not None:
            self._nested(path, symbol, located, calls)
            return
        field = FIELDS[path]
        field.store(self.model, field.read(self.values, path, located))

    def _nested(self, path: str, symbol: str, located: Located, calls: list[ConfigCall]) -> None:
        """A field holding ``symbol(...)``, or the dict pydantic accepts in its place."""
        if path == BASE_IMAGE_PATH and self._image_name(located):
            return
        call = next((c for c in calls if c.path == path), None)
        if call is not None:
            self._call(call, calls)
            return
        value = located.value
        if symbol in KEYWORD_ONLY and isinstance(value.literal, dict):
            for name, item in value.literal.items():
                if name in PARAMETERS[symbol]:
                    self._field(f"{path}.{name}", located.module, _synthetic(value, item), calls)
            return
        if is_unreadable(self.namespace, located):
            self.values.add_unread(path, value.span)

    def _image_name(self, located: Located) -> bool:
        """Read ``base_image`` given as ``BasetenImage.PY311`` or a string; False otherwise."""
        value = located.value
        member = baseten_image_member(self.namespace, value)
        if member is not None:
            if member in BASETEN_IMAGES:
                self.model.docker_image.base_image = BASETEN_IMAGE_PREFIX + BASETEN_IMAGES[member]
            return True
        if isinstance(value.literal, str):
            self.model.docker_image.base_image = value.literal
            return True
        return False

    def _resolve_predict_concurrency(self, call: ConfigCall) -> None:
        argument = call.argument("predict_concurrency")
        if argument is None:
            return
        located = resolve(self.namespace, call.module, argument)
        if located.value.literal == "cpu_count":
            self.model.compute.predict_concurrency = self.model.compute.cpu_count


def _synthetic(container: StaticValue, literal: LiteralValue) -> StaticValue:
    """A value read from inside a literal dict: it has the dict's node and span."""
    return StaticValue(container.node, container.span, container.code_for, literal)
