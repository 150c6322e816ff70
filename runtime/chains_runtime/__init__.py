"""chains_runtime: the SDK that chain files import, and the code chainlets run.

A chain file written for ``truss_chains`` runs unchanged: ``import truss_chains``
loads this package when truss is not installed (see ``chains_runtime.import_alias``
and the pytest plugin ``chains_runtime.pytest_plugin``).

The package loads lazily: ``import chains_runtime.wiring`` (as ``chains-build`` does) runs
only that module and what it imports, and a public name such as ``chains_runtime.ChainletBase``
loads its module on first use.
"""

import importlib as _importlib
import typing as _typing

if _typing.TYPE_CHECKING:
    from chains_runtime.asset_types import (
        HealthChecks,
        ModelRepo,
        ModelRepoSourceKind,
        WeightsSource,
    )
    from chains_runtime.baseten_only import (
        BasetenOnlyError,
        EngineBuilderLLMChainlet,
        EngineBuilderLLMInput,
        TrussChainlet,
        deployment,
        push,
        remote_chainlet,
    )
    from chains_runtime.chainlet import ChainletBase
    from chains_runtime.context import (
        DeployedServiceDescriptor,
        DeploymentContext,
        Environment,
        Secrets,
        current_request_id,
        remaining_time_sec,
    )
    from chains_runtime.definitions import (
        Assets,
        BasetenImage,
        ChainletOptions,
        Compute,
        CustomImage,
        DockerImage,
        RemoteConfig,
        RPCOptions,
    )
    from chains_runtime.errors import (
        ChainletInstantiationError,
        ChainsError,
        ChainsUsageError,
        DependencyCycleError,
        GenericRemoteException,
        MissingSecretError,
        MissingServiceError,
        SecretError,
        UndeclaredSecretError,
        UnresolvedDependencyError,
    )
    from chains_runtime.local import run_local
    from chains_runtime.markers import depends, depends_context, mark_entrypoint
    from chains_runtime.model_base import ModelBase
    from chains_runtime.paths import AbsPath, make_abs_path_here
    from chains_runtime.remote_error_detail import RemoteErrorDetail
    from chains_runtime.stub_base import StubBase
    from chains_runtime.websocket import WebSocketProtocol

_HOMES: dict[str, str] = {
    "AbsPath": "chains_runtime.paths",
    "Assets": "chains_runtime.definitions",
    "BasetenImage": "chains_runtime.definitions",
    "BasetenOnlyError": "chains_runtime.baseten_only",
    "ChainletBase": "chains_runtime.chainlet",
    "ChainletInstantiationError": "chains_runtime.errors",
    "ChainletOptions": "chains_runtime.definitions",
    "ChainsError": "chains_runtime.errors",
    "ChainsUsageError": "chains_runtime.errors",
    "Compute": "chains_runtime.definitions",
    "CustomImage": "chains_runtime.definitions",
    "DependencyCycleError": "chains_runtime.errors",
    "DeployedServiceDescriptor": "chains_runtime.context",
    "DeploymentContext": "chains_runtime.context",
    "DockerImage": "chains_runtime.definitions",
    "EngineBuilderLLMChainlet": "chains_runtime.baseten_only",
    "EngineBuilderLLMInput": "chains_runtime.baseten_only",
    "Environment": "chains_runtime.context",
    "GenericRemoteException": "chains_runtime.errors",
    "HealthChecks": "chains_runtime.asset_types",
    "MissingSecretError": "chains_runtime.errors",
    "MissingServiceError": "chains_runtime.errors",
    "ModelBase": "chains_runtime.model_base",
    "ModelRepo": "chains_runtime.asset_types",
    "ModelRepoSourceKind": "chains_runtime.asset_types",
    "RPCOptions": "chains_runtime.definitions",
    "RemoteConfig": "chains_runtime.definitions",
    "RemoteErrorDetail": "chains_runtime.remote_error_detail",
    "SecretError": "chains_runtime.errors",
    "Secrets": "chains_runtime.context",
    "StubBase": "chains_runtime.stub_base",
    "TrussChainlet": "chains_runtime.baseten_only",
    "UndeclaredSecretError": "chains_runtime.errors",
    "UnresolvedDependencyError": "chains_runtime.errors",
    "WebSocketProtocol": "chains_runtime.websocket",
    "WeightsSource": "chains_runtime.asset_types",
    "current_request_id": "chains_runtime.context",
    "depends": "chains_runtime.markers",
    "depends_context": "chains_runtime.markers",
    "deployment": "chains_runtime.baseten_only",
    "make_abs_path_here": "chains_runtime.paths",
    "mark_entrypoint": "chains_runtime.markers",
    "push": "chains_runtime.baseten_only",
    "remaining_time_sec": "chains_runtime.context",
    "remote_chainlet": "chains_runtime.baseten_only",
    "run_local": "chains_runtime.local",
}
"""Where each public name is defined."""


__all__ = [
    "AbsPath",
    "Assets",
    "BasetenImage",
    "BasetenOnlyError",
    "ChainletBase",
    "ChainletInstantiationError",
    "ChainletOptions",
    "ChainsError",
    "ChainsUsageError",
    "Compute",
    "CustomImage",
    "DependencyCycleError",
    "DeployedServiceDescriptor",
    "DeploymentContext",
    "DockerImage",
    "EngineBuilderLLMChainlet",
    "EngineBuilderLLMInput",
    "Environment",
    "GenericRemoteException",
    "HealthChecks",
    "MissingSecretError",
    "MissingServiceError",
    "ModelBase",
    "ModelRepo",
    "ModelRepoSourceKind",
    "RPCOptions",
    "RemoteConfig",
    "RemoteErrorDetail",
    "SecretError",
    "Secrets",
    "StubBase",
    "TrussChainlet",
    "UndeclaredSecretError",
    "UnresolvedDependencyError",
    "WebSocketProtocol",
    "WeightsSource",
    "current_request_id",
    "depends",
    "depends_context",
    "deployment",
    "make_abs_path_here",
    "mark_entrypoint",
    "push",
    "remaining_time_sec",
    "remote_chainlet",
    "run_local",
]

# Hidden from type checkers, so that a misspelled name stays an error for them.
if not _typing.TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        home = _HOMES.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(_importlib.import_module(home), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *_HOMES})

