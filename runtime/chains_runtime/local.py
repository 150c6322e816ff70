"""``run_local``: run a chain in this process, each chainlet once, wired by ``depends``."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

from chains_runtime.chainlet import ChainletBase
from chains_runtime.context import (
    DeployedServiceDescriptor,
    DeploymentContext,
    Environment,
    Secrets,
)
from chains_runtime.errors import ChainsUsageError, DependencyCycleError
from chains_runtime.injection import DependencyMarker, injecting


class LocalInjector:
    """Builds the dependency graph in process: one shared instance per chainlet class."""

    def __init__(
        self,
        secrets: Mapping[str, str],
        data_dir: Path | None,
        environment: Environment | None,
        chainlet_to_service: Mapping[str, DeployedServiceDescriptor],
    ) -> None:
        self._secrets = dict(secrets)
        self._data_dir = data_dir
        self._environment = environment
        self._chainlet_to_service = dict(chainlet_to_service)
        self._instances: dict[type[ChainletBase], ChainletBase] = {}
        # Classes being built, outermost first, with the parameter that asked for each.
        self._path: list[tuple[type[ChainletBase], str | None]] = []
        self._requested_by: str | None = None

    @contextlib.contextmanager
    def instantiating(self, chainlet_cls: type[ChainletBase]) -> Iterator[None]:
        parameter, self._requested_by = self._requested_by, None
        self._path.append((chainlet_cls, parameter))
        try:
            yield
        finally:
            self._path.pop()

    def created(self, instance: ChainletBase) -> None:
        self._instances.setdefault(type(instance), instance)

    def dependency(
        self, owner: type[ChainletBase], parameter: str, marker: DependencyMarker
    ) -> object:
        wanted = marker.chainlet_cls
        if wanted in self._instances:
            return self._instances[wanted]
        classes = [cls for cls, _ in self._path]
        if wanted in classes:
            via = f"{owner.__name__}.{parameter}"
            cycle = [*self._path[classes.index(wanted) :], (wanted, via)]
            raise DependencyCycleError(_cycle_message(cycle))
        self._requested_by = f"{owner.__name__}.{parameter}"
        try:
            instance = wanted()
        except Exception as error:
            if sys.version_info >= (3, 11):
                error.add_note(
                    f"(while run_local built `{wanted.__name__}` for parameter `{parameter}` "
                    f"of `{owner.__name__}`)"
                )
            raise
        finally:
            self._requested_by = None
        return instance

    def context(self, owner: type[ChainletBase]) -> DeploymentContext:
        secrets = Secrets(owner.__name__, owner.remote_config.assets.secret_keys, self._secrets)
        return DeploymentContext(
            secrets=secrets,
            data_dir=self._data_dir,
            environment=self._environment,
            chainlet_to_service=self._chainlet_to_service,
        )


def _cycle_message(cycle: list[tuple[type[ChainletBase], str | None]]) -> str:
    names = " -> ".join(
        cls.__name__ + (f" (parameter `{via}`)" if via else "") for cls, via in cycle
    )
    return (
        f"chainlets depend on each other in a cycle: {names}; a chain must be a directed "
        "acyclic graph, so remove one of these `depends(...)` parameters"
    )


def _check_secrets(secrets: Mapping[str, str]) -> dict[str, str]:
    for key, value in secrets.items():
        if not isinstance(key, str) or not isinstance(value, str):
            raise ChainsUsageError(
                "run_local(secrets=...) expects a mapping of str to str, got "
                f"{key!r}: {type(value).__name__}"
            )
    return dict(secrets)


@contextlib.contextmanager
def run_local(
    secrets: Mapping[str, str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    chainlet_to_service: Mapping[str, DeployedServiceDescriptor] | None = None,
    environment: str | None = None,
) -> Iterator[None]:
    """Run chainlets in this process.

    Inside the block, instantiating a chainlet (typically the entrypoint) builds its
    dependencies: one instance per chainlet class, shared by all that depend on it;
    each ``depends_context()`` receives a ``DeploymentContext`` with the chainlet's
    declared secrets (taken from ``secrets``), ``data_dir`` and ``environment``.
    Instances stay usable after the block. Blocks may nest; the innermost applies.

    Example::

        with chains.run_local(secrets={"hf_access_token": "..."}):
            chain = HelloAll()
        print(asyncio.run(chain.run_remote(names=["Ada"])))
    """
    injector = LocalInjector(
        secrets=_check_secrets(secrets or {}),
        data_dir=Path(data_dir) if data_dir is not None else None,
        environment=Environment(name=environment) if environment is not None else None,
        chainlet_to_service=chainlet_to_service or {},
    )
    with injecting(injector):
        yield
