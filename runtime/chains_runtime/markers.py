"""The declarations a chain file writes: ``depends``, ``depends_context``, ``mark_entrypoint``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast, overload

from chains_runtime.chainlet import ChainletBase
from chains_runtime.context import DeploymentContext
from chains_runtime.definitions import (
    DEFAULT_CONCURRENCY_LIMIT,
    DEFAULT_MAX_FRAME_BYTES,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT_SEC,
    RPCOptions,
)
from chains_runtime.errors import ChainsUsageError
from chains_runtime.injection import ContextMarker, DependencyMarker

ChainletT = TypeVar("ChainletT", bound=ChainletBase)

_ENTRYPOINT_ATTRIBUTE = "__chains_runtime_entrypoint__"


def _require_chainlet_class(value: object, what: str) -> type[ChainletBase]:
    if isinstance(value, type) and issubclass(value, ChainletBase):
        return value
    got = f"the class `{value.__name__}`" if isinstance(value, type) else repr(value)
    raise ChainsUsageError(f"{what} expects a chainlet class (a ChainletBase subclass), got {got}")


def depends(
    chainlet_cls: type[ChainletT],
    retries: int = 1,
    timeout_sec: float = DEFAULT_TIMEOUT_SEC,
    use_binary: bool = False,
    concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT,
    *,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    max_frame_bytes: int = DEFAULT_MAX_FRAME_BYTES,
) -> ChainletT:
    """Declare that a chainlet uses ``chainlet_cls``, as an ``__init__`` parameter default.

    Type checkers see the result as an instance of ``chainlet_cls``, so calls to its
    ``run_remote`` are checked. At run time the default is a marker that the runtime
    replaces when the chainlet is instantiated: by the shared local instance of
    ``chainlet_cls`` under ``run_local``, by a client of the deployed chainlet
    (using these RPC options) in a deployment.

    ``max_response_bytes`` and ``max_frame_bytes`` (keyword-only, not in truss) bound the
    answer of one call and one frame of a streamed answer.
    """
    cls = _require_chainlet_class(chainlet_cls, "depends()")
    options = RPCOptions(
        retries=retries,
        timeout_sec=timeout_sec,
        use_binary=use_binary,
        concurrency_limit=concurrency_limit,
        max_response_bytes=max_response_bytes,
        max_frame_bytes=max_frame_bytes,
    )
    return cast(ChainletT, DependencyMarker(cls, options))


def depends_context() -> DeploymentContext:
    """Declare that a chainlet receives its ``DeploymentContext``, as an ``__init__`` default."""
    return cast(DeploymentContext, ContextMarker())


@dataclass(frozen=True)
class EntrypointInfo:
    """What ``mark_entrypoint`` records on a class."""

    chain_name: str | None


def _mark(cls: type[ChainletT], chain_name: str | None) -> type[ChainletT]:
    _require_chainlet_class(cls, "mark_entrypoint")
    setattr(cls, _ENTRYPOINT_ATTRIBUTE, EntrypointInfo(chain_name))
    return cls


@overload
def mark_entrypoint(cls_or_chain_name: type[ChainletT]) -> type[ChainletT]: ...


@overload
def mark_entrypoint(cls_or_chain_name: str) -> Callable[[type[ChainletT]], type[ChainletT]]: ...


def mark_entrypoint(
    cls_or_chain_name: type[ChainletT] | str,
) -> type[ChainletT] | Callable[[type[ChainletT]], type[ChainletT]]:
    """Mark the chainlet a chain starts from: ``@mark_entrypoint`` or ``@mark_entrypoint("Name")``.

    The optional string is the chain's display name.
    """
    if isinstance(cls_or_chain_name, str):
        chain_name = cls_or_chain_name
        if not chain_name.strip():
            raise ChainsUsageError("mark_entrypoint(name) expects a non-empty chain name")

        def decorate(cls: type[ChainletT]) -> type[ChainletT]:
            return _mark(cls, chain_name)

        return decorate
    return _mark(cls_or_chain_name, None)


def entrypoint_info(cls: type) -> EntrypointInfo | None:
    """What ``mark_entrypoint`` recorded on ``cls`` itself (subclasses do not inherit it)."""
    info = cls.__dict__.get(_ENTRYPOINT_ATTRIBUTE)
    return info if isinstance(info, EntrypointInfo) else None
