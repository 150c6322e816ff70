"""``ChainletBase``: the base class of chainlets, and how their ``__init__`` is guarded.

Every ``__init__`` defined on a chainlet class is wrapped once, when the class is
created. The wrapper leaves the signature and the user's code alone (defaults,
annotations and ``inspect.signature`` stay as written); on each call it asks the
active injector for the objects behind ``depends(...)`` and ``depends_context()``
defaults that the caller did not pass.
"""

from __future__ import annotations

import abc
import functools
import inspect
import sys
from collections.abc import Callable
from contextvars import ContextVar
from types import FrameType
from typing import ClassVar

from chains_runtime.definitions import RemoteConfig
from chains_runtime.errors import ChainletInstantiationError, ChainsUsageError
from chains_runtime.injection import (
    ContextMarker,
    DependencyMarker,
    Injector,
    active_injector,
)

_GUARD_FLAG = "__chains_runtime_guarded__"

# The instances whose __init__ is running, innermost last: tells a new instantiation
# apart from a ``super().__init__()`` call on the same instance.
_under_construction: ContextVar[tuple[object, ...]] = ContextVar(
    "chains_runtime_under_construction", default=()
)

InitMethod = Callable[..., None]


# ABCMeta as in truss: a chainlet may declare @abc.abstractmethod without abc.ABC.
class ChainletBase(metaclass=abc.ABCMeta):  # noqa: B024
    """Base class of every chainlet.

    A chainlet declares its resources in ``remote_config``, its collaborators as
    ``__init__`` parameters defaulting to ``depends(...)`` / ``depends_context()``,
    and its interface as ``run_remote``. Instantiate chainlets inside
    ``run_local(...)``; the runtime builds their dependencies.
    """

    remote_config: ClassVar[RemoteConfig] = RemoteConfig()

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        config = cls.__dict__.get("remote_config", RemoteConfig())
        if not isinstance(config, RemoteConfig):
            raise ChainsUsageError(
                f"`{cls.__qualname__}.remote_config` must be a `RemoteConfig(...)`, "
                f"got {type(config).__name__}"
            )
        own_init = cls.__dict__.get("__init__")
        if own_init is not None and not getattr(own_init, _GUARD_FLAG, False):
            setattr(cls, "__init__", _guard_init(own_init))  # noqa: B010 (mypy forbids =)

    def __init__(self) -> None:  # noqa: B027 (a real, guarded no-op)
        """Chainlets without an ``__init__`` of their own take no arguments."""


def _instantiation_error(chainlet_cls: type[ChainletBase]) -> ChainletInstantiationError:
    name = chainlet_cls.__name__
    return ChainletInstantiationError(
        f"chainlet `{name}` was instantiated directly; chainlets get their dependencies "
        "and context from the runtime, so create them inside "
        f"`with run_local(...): {name}()` (also `truss_chains.run_local`) for local runs, "
        "or deploy the chain; to call one chainlet from another, declare it as an "
        f"`__init__` parameter, e.g. `dep: {name} = depends({name})`"
    )


def _chainlet_caller(frame: FrameType | None) -> object | None:
    """The chainlet instance whose method made the call in ``frame``, if any."""
    if frame is None or frame.f_code.co_argcount == 0:
        return None
    first = frame.f_locals.get(frame.f_code.co_varnames[0])
    return first if isinstance(first, ChainletBase) else None


def _inject(
    signature: inspect.Signature,
    injector: Injector,
    instance: ChainletBase,
    args: tuple[object, ...],
    kwargs: dict[str, object],
) -> inspect.BoundArguments:
    """Bind the call, replacing every marker (default or passed) by the injector's object."""
    bound = signature.bind_partial(instance, *args, **kwargs)
    owner = type(instance)
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        value = bound.arguments.get(name, parameter.default)
        if isinstance(value, DependencyMarker):
            bound.arguments[name] = injector.dependency(owner, name, value)
        elif isinstance(value, ContextMarker):
            bound.arguments[name] = injector.context(owner)
    return bound


def _guard_init(init: InitMethod) -> InitMethod:
    @functools.wraps(init)
    def guarded_init(self: ChainletBase, *args: object, **kwargs: object) -> None:
        signature = inspect.signature(init)  # read per call: defaults may be rebound
        stack = _under_construction.get()
        if stack and stack[-1] is self:  # super().__init__(...) of the same instance
            injector = active_injector()
            assert injector is not None  # the outer call checked it
            bound = _inject(signature, injector, self, args, kwargs)
            init(*bound.args, **bound.kwargs)
            return
        chainlet_cls = type(self)
        caller = _chainlet_caller(sys._getframe(1))
        if caller is not None:
            raise ChainsUsageError(
                f"chainlet `{type(caller).__name__}` instantiates chainlet "
                f"`{chainlet_cls.__name__}` in its own code; declare it as an `__init__` "
                f"parameter instead, e.g. `dep: {chainlet_cls.__name__} = "
                f"depends({chainlet_cls.__name__})`, so the runtime can provide it "
                "(a local instance, or a client of the deployed chainlet)"
            )
        injector = active_injector()
        if injector is None:
            raise _instantiation_error(chainlet_cls)
        with injector.instantiating(chainlet_cls):
            token = _under_construction.set((*stack, self))
            try:
                bound = _inject(signature, injector, self, args, kwargs)
                init(*bound.args, **bound.kwargs)
            finally:
                _under_construction.reset(token)
        injector.created(self)

    setattr(guarded_init, _GUARD_FLAG, True)
    return guarded_init


setattr(ChainletBase, "__init__", _guard_init(ChainletBase.__init__))  # noqa: B010
