"""chains_runtime: the SDK that chain files import, and the code chainlets run.

A chain file written for ``truss_chains`` runs unchanged: ``import truss_chains``
loads this package when truss is not installed (see ``chains_runtime.import_alias``
and the pytest plugin ``chains_runtime.pytest_plugin``).
"""

from chains_runtime.asset_types import HealthChecks, ModelRepo, ModelRepoSourceKind, WeightsSource
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
