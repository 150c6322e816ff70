"""Reading ``remote_config = RemoteConfig(...)`` into a typed model, from literals."""

from __future__ import annotations

from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import RemoteConfigModel, StaticValue


def read_remote_config(
    namespace: Namespace, module: ModuleInfo, value: StaticValue, owner: str
) -> RemoteConfigModel:
    """Placeholder: implemented with the RemoteConfig rules."""
    return RemoteConfigModel(value=value, owner=owner)
