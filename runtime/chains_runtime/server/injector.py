"""The injector a server builds its one chainlet with."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from chains_runtime.chainlet import ChainletBase
from chains_runtime.context import (
    DeployedServiceDescriptor,
    DeploymentContext,
    Environment,
    Secrets,
)
from chains_runtime.errors import ChainsUsageError
from chains_runtime.injection import DependencyMarker
from chains_runtime.server.config import DependencyProvider


class ServerInjector:
    """Gives ``depends_context()`` the deployment context and ``depends(X)`` the provider's."""

    def __init__(
        self,
        *,
        secrets: Mapping[str, str],
        looked_in: Callable[[str], str] | None = None,
        data_dir: Path | None,
        environment: Environment | None,
        chainlet_to_service: Mapping[str, DeployedServiceDescriptor],
        dependency_provider: DependencyProvider | None,
    ) -> None:
        self._secrets = dict(secrets)
        self._looked_in = looked_in
        self._data_dir = data_dir
        self._environment = environment
        self._chainlet_to_service = dict(chainlet_to_service)
        self._provider = dependency_provider

    @contextlib.contextmanager
    def instantiating(self, chainlet_cls: type[ChainletBase]) -> Iterator[None]:
        yield

    def created(self, instance: ChainletBase) -> None:
        pass

    def dependency(
        self, owner: type[ChainletBase], parameter: str, marker: DependencyMarker
    ) -> object:
        if self._provider is None:
            raise ChainsUsageError(
                f"`{owner.__name__}.{parameter}` depends on `{marker.chainlet_cls.__name__}`, "
                "but the server config has no dependency_provider"
            )
        return self._provider(owner, parameter, marker)

    def context(self, owner: type[ChainletBase]) -> DeploymentContext:
        return DeploymentContext(
            secrets=Secrets(
                owner.__name__,
                owner.remote_config.assets.secret_keys,
                self._secrets,
                looked_in=self._looked_in,
            ),
            data_dir=self._data_dir,
            environment=self._environment,
            chainlet_to_service=self._chainlet_to_service,
        )
