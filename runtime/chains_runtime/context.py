"""What a chainlet can know about where it runs.

``DeploymentContext`` is what it receives through ``depends_context()``; ``current_request_id``
tells code running inside a served ``run_remote`` call which request it is serving.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path

import pydantic

from chains_runtime.definitions import RPCOptions
from chains_runtime.errors import MissingSecretError, MissingServiceError, UndeclaredSecretError

REQUEST_ID: ContextVar[str | None] = ContextVar("chains_runtime_request_id", default=None)
"""The id of the request being served; set by the server harness for each ``run_remote`` call."""


def current_request_id() -> str | None:
    """The ``x-request-id`` of the ``run_remote`` call being served, or None outside of one.

    It is the id the caller sent (or a fresh one), the id the server logs and echoes, and the id
    the dependency stubs pass on, so one request can be followed along the whole chain.
    """
    return REQUEST_ID.get()


DEADLINE: ContextVar[float | None] = ContextVar("chains_runtime_deadline", default=None)
"""When the ``run_remote`` call being served must be done, in ``time.monotonic()`` seconds;
None when it has no deadline. Set by the server harness; the dependency client sends what is
left of it to each dependency (``x-chains-deadline-ms``) and bounds its waits by it."""


def remaining_time_sec() -> float | None:
    """Seconds left until the deadline of the ``run_remote`` call being served (0 once it
    passed), or None when the call has no deadline (or outside of a served call).

    The deadline is the smaller of the chainlet's ``run_remote_timeout_sec`` and the budget the
    caller sent; past it the server answers 504 and cancels the call.
    """
    deadline = DEADLINE.get()
    if deadline is None:
        return None
    return max(0.0, deadline - time.monotonic())


class Secrets(Mapping[str, str]):
    """The secrets one chainlet may read: exactly those it declares.

    Reading a key the chainlet does not list in ``remote_config.assets.secret_keys``
    raises ``UndeclaredSecretError`` (it would be missing once deployed, where only
    declared secrets are mounted), also through ``in`` and ``get``. Reading a declared
    key that has no value raises ``MissingSecretError`` (``get`` returns the default); its
    message says where the value was looked for when ``looked_in(key)`` describes it.
    Iterating gives the declared keys that have values.
    """

    __slots__ = ("_chainlet", "_declared", "_looked_in", "_values")

    def __init__(
        self,
        chainlet: str,
        declared: Iterable[str],
        values: Mapping[str, str],
        *,
        looked_in: Callable[[str], str] | None = None,
    ) -> None:
        self._chainlet = chainlet
        self._declared = tuple(dict.fromkeys(declared))
        self._values = {key: values[key] for key in self._declared if key in values}
        self._looked_in = looked_in

    @property
    def declared(self) -> tuple[str, ...]:
        return self._declared

    def _check_declared(self, key: object) -> None:
        if key not in self._declared:
            declared = ", ".join(f"`{k}`" for k in self._declared) or "none"
            raise UndeclaredSecretError(
                f"chainlet `{self._chainlet}` reads the secret `{key}`, which it does not "
                f"declare (declared: {declared}); add it to "
                "`remote_config = RemoteConfig(assets=Assets(secret_keys=[...]))`"
            )

    def __getitem__(self, key: str) -> str:
        self._check_declared(key)
        try:
            return self._values[key]
        except KeyError:
            if self._looked_in is not None:
                hint = f"none was found in {self._looked_in(key)}"
            else:
                hint = f"pass it, e.g. `run_local(secrets={{{key!r}: ...}})`"
            raise MissingSecretError(
                f"chainlet `{self._chainlet}` declares the secret `{key}`, but no value was "
                f"provided; {hint}"
            ) from None

    def get(self, key: str, default: str | None = None) -> str | None:  # type: ignore[override]
        self._check_declared(key)
        return self._values.get(key, default)

    def __contains__(self, key: object) -> bool:
        self._check_declared(key)
        return key in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:  # never show the values
        keys = ", ".join(self._values)
        return f"Secrets(chainlet={self._chainlet!r}, provided=[{keys}])"


class Environment(pydantic.BaseModel):
    """The environment a chain is deployed in (e.g. ``production``)."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    name: str


class DeployedServiceDescriptor(pydantic.BaseModel):
    """Where a dependency chainlet is served and how to call it."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    name: str
    display_name: str
    predict_url: str
    options: RPCOptions = pydantic.Field(default_factory=RPCOptions)


@dataclass(frozen=True)
class DeploymentContext:
    """Secrets, data folder, environment and dependency endpoints of one chainlet."""

    secrets: Secrets
    data_dir: Path | None = None
    environment: Environment | None = None
    chainlet_to_service: Mapping[str, DeployedServiceDescriptor] = field(default_factory=dict)

    def get_service_descriptor(self, chainlet_name: str) -> DeployedServiceDescriptor:
        try:
            return self.chainlet_to_service[chainlet_name]
        except KeyError:
            known = ", ".join(f"`{name}`" for name in self.chainlet_to_service) or "none"
            raise MissingServiceError(
                f"no service is known for chainlet `{chainlet_name}` (known: {known})"
            ) from None
