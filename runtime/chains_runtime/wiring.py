"""The wiring config every chainlet process reads: who it is and where its dependencies are.

A chainlet process (``python -m chains_runtime.serve``) gets its wiring from the environment,
so ``chains-run``, docker-compose and Kubernetes can all provide it:

- ``CHAINS_CONFIG``: the config as JSON text, or
- ``CHAINS_CONFIG_FILE``: the path of a JSON file holding it (e.g. a mounted ConfigMap);
- ``CHAINS_SERVICE_TOKEN`` / ``CHAINS_API_KEY``: the service token / API key, used when the
  JSON does not hold them (so they can come from a secret rather than the config).
- ``CHAINS_ALLOWED_HOSTS``, ``CHAINS_CORS_ORIGINS`` (comma-separated) and
  ``CHAINS_EXPOSE_TRACEBACKS`` (``1``): the security settings, used when the JSON lacks them.
- ``CHAINS_API_DOCS`` (``0`` turns ``/openapi.json`` and ``/docs`` off), when the JSON lacks
  ``api_docs``.

Example::

    {
      "chainlet": "HelloAll",
      "is_entrypoint": true,
      "dependencies": {"SayHello": "http://say-hello:8080"},
      "service_token": "...",
      "secrets_dir": "/secrets"
    }

``dependencies`` maps a dependency's chainlet name (its class name, or its display name
``remote_config.name``) to its base URL (``/run_remote`` is appended; a URL already ending in
it is accepted). An internal (non-entrypoint) chainlet requires the service token; the
entrypoint accepts an optional API key, and needs the token only to call its dependencies.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pydantic

from chains_runtime.contract import (
    ALLOWED_HOSTS_ENV,
    API_DOCS_ENV,
    API_KEY_ENV,
    CONFIG_ENV,
    CONFIG_FILE_ENV,
    CORS_ORIGINS_ENV,
    DEFAULT_SECRETS_DIR,
    EXPOSE_TRACEBACKS_ENV,
    SERVICE_TOKEN_ENV,
)
from chains_runtime.errors import ChainsUsageError
from chains_runtime.protocol import RUN_REMOTE_PATH

if TYPE_CHECKING:
    from chains_runtime.chainlet import ChainletBase
    from chains_runtime.injection import DependencyMarker
    from chains_runtime.server.config import DependencyProvider, ServerConfig

_TOKEN_ELSEWHERE = "token_elsewhere"
_TRUE_WORDS = frozenset({"1", "true", "yes", "on"})


class WiringError(ChainsUsageError):
    """The wiring config is missing, malformed, or lacks something a chainlet needs."""


class ChainletWiring(pydantic.BaseModel):
    """The wiring of one chainlet process (see the module docstring for the JSON form)."""

    model_config = pydantic.ConfigDict(frozen=True, extra="forbid")

    chainlet: str | None = None
    """This chainlet's name (class or display name); checked against the served class."""
    is_entrypoint: bool = False
    dependencies: dict[str, str] = pydantic.Field(default_factory=dict)
    service_token: str | None = pydantic.Field(default=None, repr=False)
    api_key: str | None = pydantic.Field(default=None, repr=False)
    secrets_dir: Path = DEFAULT_SECRETS_DIR
    data_dir: Path | None = None
    environment: str | None = None
    predict_concurrency: int | None = pydantic.Field(default=None, ge=1)
    """Overrides the chainlet's ``remote_config.compute.predict_concurrency``."""
    run_remote_timeout_sec: float | None = pydantic.Field(default=None, gt=0)
    """Overrides the chainlet's ``remote_config.options.run_remote_timeout_sec``."""
    allowed_hosts: list[str] | None = None
    """``Host`` names answered besides loopback ones (``CHAINS_ALLOWED_HOSTS``, comma-separated)."""
    cors_origins: list[str] = pydantic.Field(default_factory=list)
    """Web origins allowed to call from a browser (``CHAINS_CORS_ORIGINS``, comma-separated)."""
    expose_tracebacks: bool = False
    """Put tracebacks into answers to outside callers (``CHAINS_EXPOSE_TRACEBACKS=1``)."""
    api_docs: bool = True
    """Serve ``/openapi.json`` and ``/docs`` (``CHAINS_API_DOCS=0`` turns them off)."""

    @pydantic.model_validator(mode="after")
    def _internal_needs_token(self, info: pydantic.ValidationInfo) -> ChainletWiring:
        token_elsewhere = isinstance(info.context, dict) and info.context.get(_TOKEN_ELSEWHERE)
        if not self.is_entrypoint and not self.service_token and not token_elsewhere:
            name = f"`{self.chainlet}`" if self.chainlet else "this chainlet"
            raise ValueError(
                f"{name} is internal (is_entrypoint is false) and requires a service token: "
                f"set `service_token` in the config or {SERVICE_TOKEN_ENV}"
            )
        return self

    def dependency_url(self, owner: str, dependency: type[ChainletBase]) -> str:
        """The base URL of ``dependency`` (by class name, then display name), or WiringError."""
        for key in _names(dependency):
            url = self.dependencies.get(key)
            if url:
                return url.rstrip("/").removesuffix(RUN_REMOTE_PATH)
        known = ", ".join(f"`{name}`" for name in self.dependencies) or "none"
        wanted = " or ".join(f"`{name}`" for name in _names(dependency))
        raise WiringError(
            f"chainlet `{owner}` depends on `{dependency.__name__}`, but the wiring config has "
            f"no URL for it: add {wanted} to `dependencies` (configured: {known})"
        )

    def check_served(self, chainlet_cls: type[ChainletBase]) -> None:
        """Refuse a config written for another chainlet."""
        if self.chainlet is not None and self.chainlet not in _names(chainlet_cls):
            raise WiringError(
                f"the wiring config is for chainlet `{self.chainlet}`, but this process serves "
                f"`{chainlet_cls.__name__}`"
            )

    def to_server_config(
        self,
        chainlet_cls: type[ChainletBase],
        *,
        dependency_provider: DependencyProvider | None = None,
    ) -> ServerConfig:
        """The ``ServerConfig`` of ``chainlet_cls``; checks every ``depends(X)`` has a URL."""
        # Imported here: a deployment tool reads this module for the model alone.
        from chains_runtime.context import DeployedServiceDescriptor
        from chains_runtime.server.config import ServerConfig

        self.check_served(chainlet_cls)
        services = {
            marker.chainlet_cls.__name__: DeployedServiceDescriptor(
                name=marker.chainlet_cls.__name__,
                display_name=_names(marker.chainlet_cls)[-1],
                predict_url=self.dependency_url(chainlet_cls.__name__, marker.chainlet_cls)
                + RUN_REMOTE_PATH,
                options=marker.options,
            )
            for marker in dependency_markers(chainlet_cls).values()
        }
        if services and not self.service_token:
            raise WiringError(
                f"chainlet `{chainlet_cls.__name__}` calls dependencies and needs the service "
                f"token: set `service_token` in the config or {SERVICE_TOKEN_ENV}"
            )
        concurrency = self.predict_concurrency
        if concurrency is None:
            concurrency = chainlet_cls.remote_config.compute.predict_concurrency
        time_limit = self.run_remote_timeout_sec
        if time_limit is None:
            time_limit = chainlet_cls.remote_config.options.run_remote_timeout_sec
        return ServerConfig(
            service_token=self.service_token,
            require_service_token=not self.is_entrypoint,
            api_key=self.api_key if self.is_entrypoint else None,
            predict_concurrency=concurrency,
            secrets_dir=self.secrets_dir,
            data_dir=self.data_dir,
            environment=self.environment,
            chainlet_to_service=services,
            dependency_provider=dependency_provider,
            run_remote_timeout_sec=time_limit,
            expose_tracebacks=self.expose_tracebacks,
            allowed_hosts=tuple(self.allowed_hosts) if self.allowed_hosts is not None else None,
            cors_origins=tuple(self.cors_origins),
            api_docs=self.api_docs,
        )


def dependency_markers(chainlet_cls: type[ChainletBase]) -> dict[str, DependencyMarker]:
    """The ``depends(X)`` parameters of ``chainlet_cls.__init__``, by parameter name."""
    from chains_runtime.injection import DependencyMarker
    signature = inspect.signature(chainlet_cls.__init__)
    return {
        name: parameter.default
        for name, parameter in signature.parameters.items()
        if isinstance(parameter.default, DependencyMarker)
    }


def load_wiring(environ: Mapping[str, str] | None = None) -> ChainletWiring:
    """Read the wiring from ``CHAINS_CONFIG`` or ``CHAINS_CONFIG_FILE`` (see module docstring)."""
    env = os.environ if environ is None else environ
    text, source = env.get(CONFIG_ENV), CONFIG_ENV
    path = env.get(CONFIG_FILE_ENV)
    if text is not None and path is not None:
        raise WiringError(f"set only one of {CONFIG_ENV} and {CONFIG_FILE_ENV}, not both")
    if path is not None:
        source = f"{CONFIG_FILE_ENV}={path}"
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise WiringError(f"cannot read the wiring config {source}: {exc}") from exc
    if text is None:
        raise WiringError(
            f"no wiring config: set {CONFIG_ENV} (JSON text) or {CONFIG_FILE_ENV} (a JSON file)"
        )
    return parse_wiring(text, source=source, environ=env)


def parse_wiring(
    text: str, *, source: str = CONFIG_ENV, environ: Mapping[str, str] | None = None
) -> ChainletWiring:
    """Parse the JSON wiring; the token and API key fall back to their environment variables."""
    env = os.environ if environ is None else environ
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise WiringError(f"the wiring config in {source} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise WiringError(
            f"the wiring config in {source} must be a JSON object, got {type(data).__name__}"
        )
    for key, variable in (("service_token", SERVICE_TOKEN_ENV), ("api_key", API_KEY_ENV)):
        if not data.get(key) and env.get(variable):
            data[key] = env[variable]
    for key, variable in (("allowed_hosts", ALLOWED_HOSTS_ENV), ("cors_origins", CORS_ORIGINS_ENV)):
        if key not in data and env.get(variable):
            data[key] = [item.strip() for item in env[variable].split(",") if item.strip()]
    if "expose_tracebacks" not in data and env.get(EXPOSE_TRACEBACKS_ENV):
        data["expose_tracebacks"] = env[EXPOSE_TRACEBACKS_ENV].strip().lower() in _TRUE_WORDS
    if "api_docs" not in data and env.get(API_DOCS_ENV):
        data["api_docs"] = env[API_DOCS_ENV].strip().lower() in _TRUE_WORDS
    try:
        return ChainletWiring.model_validate(data)
    except pydantic.ValidationError as exc:
        raise WiringError(f"invalid wiring config in {source}: {_problems(exc)}") from None


def _problems(exc: pydantic.ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in error['loc']) or '(config)'}: {error['msg']}"
        for error in exc.errors(include_url=False, include_input=False)
    )


def deployment_wiring(**fields: object) -> dict[str, object]:
    """The ``CHAINS_CONFIG`` object a deployment writes, validated as ``ChainletWiring``.

    The given fields are written as given (the server fills in the defaults), in the model's
    field order, so the text does not depend on the host (paths stay POSIX) or on dict order.
    The service token and API key are secrets a deployment sets as ``CHAINS_SERVICE_TOKEN`` /
    ``CHAINS_API_KEY``: they are refused here, and an internal chainlet's config is valid
    without them. A WiringError names a field the runtime would refuse.
    """
    secrets = sorted(set(fields) & {"service_token", "api_key"})
    if secrets:
        raise WiringError(
            f"{', '.join(secrets)} must not be written into the wiring config: set "
            f"{SERVICE_TOKEN_ENV} / {API_KEY_ENV} from a secret instead"
        )
    try:
        ChainletWiring.model_validate(fields, context={_TOKEN_ELSEWHERE: True})
    except pydantic.ValidationError as exc:
        raise WiringError(f"invalid wiring config: {_problems(exc)}") from None
    return {name: fields[name] for name in ChainletWiring.model_fields if name in fields}


def _names(chainlet_cls: type[ChainletBase]) -> tuple[str, ...]:
    display = chainlet_cls.remote_config.name
    if display and display != chainlet_cls.__name__:
        return (chainlet_cls.__name__, display)
    return (chainlet_cls.__name__,)
