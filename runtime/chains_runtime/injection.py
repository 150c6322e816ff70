"""What ``depends(...)`` and ``depends_context()`` leave in a signature, and who fills it.

A chain file declares a chainlet's collaborators as ``__init__`` defaults. Those
defaults are markers; when a chainlet is instantiated, the active ``Injector``
replaces each marker by an object: ``run_local`` gives local instances, a deployed
server gives clients of the remote chainlets. Outside both, no injector is active
and instantiating a chainlet is an error.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from contextvars import ContextVar
from typing import TYPE_CHECKING, NoReturn, Protocol

from chains_runtime.definitions import RPCOptions
from chains_runtime.errors import UnresolvedDependencyError

if TYPE_CHECKING:
    from chains_runtime.chainlet import ChainletBase
    from chains_runtime.context import DeploymentContext


class _Marker:
    """Base of the markers. Using one as the object it stands for is a clear error."""

    __slots__ = ()

    def _describe(self) -> str:
        raise NotImplementedError

    def __getattr__(self, name: str) -> NoReturn:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)  # protocol probes (copy, pickle...) behave normally
        raise UnresolvedDependencyError(
            f"`{self._describe()}` was used as the object it stands for (attribute "
            f"`{name}`); it only works as the default of a chainlet `__init__` parameter, "
            "which the runtime replaces when the chainlet is instantiated inside "
            "`run_local(...)` or a deployment"
        )


class DependencyMarker(_Marker):
    """The default left by ``depends(chainlet_cls, ...)``."""

    __slots__ = ("chainlet_cls", "options")

    def __init__(self, chainlet_cls: type[ChainletBase], options: RPCOptions) -> None:
        self.chainlet_cls = chainlet_cls
        self.options = options

    def _describe(self) -> str:
        return f"depends({self.chainlet_cls.__name__})"

    def __repr__(self) -> str:
        return f"<{self._describe()}>"


class ContextMarker(_Marker):
    """The default left by ``depends_context()``."""

    __slots__ = ()

    def _describe(self) -> str:
        return "depends_context()"

    def __repr__(self) -> str:
        return f"<{self._describe()}>"


class Injector(Protocol):
    """Provides the objects behind the markers while chainlets are instantiated."""

    def instantiating(self, chainlet_cls: type[ChainletBase]) -> AbstractContextManager[None]:
        """Wraps the construction of a new chainlet instance (may refuse it)."""

    def created(self, instance: ChainletBase) -> None:
        """Called once a new instance is fully initialized."""

    def dependency(
        self, owner: type[ChainletBase], parameter: str, marker: DependencyMarker
    ) -> object:
        """The object for ``parameter`` of ``owner.__init__``, declared by ``marker``."""

    def context(self, owner: type[ChainletBase]) -> DeploymentContext:
        """The deployment context for ``owner``."""


_active: ContextVar[Injector | None] = ContextVar("chains_runtime_injector", default=None)


def active_injector() -> Injector | None:
    return _active.get()


@contextlib.contextmanager
def injecting(injector: Injector) -> Iterator[None]:
    """Make ``injector`` the active one for the duration of the block."""
    token = _active.set(injector)
    try:
        yield
    finally:
        _active.reset(token)
