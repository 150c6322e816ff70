"""chains_runtime: the SDK that chain files import, and the code chainlets run.

A chain file written for ``truss_chains`` runs unchanged: ``import truss_chains``
loads this package when truss is not installed (see ``chains_runtime.import_alias``
and the pytest plugin ``chains_runtime.pytest_plugin``).
"""

from chains_runtime.asset_types import HealthChecks, ModelRepo, ModelRepoSourceKind, WeightsSource
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
    MissingSecretError,
    MissingServiceError,
    SecretError,
    UndeclaredSecretError,
    UnresolvedDependencyError,
)
from chains_runtime.local import run_local
from chains_runtime.markers import depends, depends_context, mark_entrypoint
from chains_runtime.paths import AbsPath, make_abs_path_here
from chains_runtime.stub_base import StubBase

__all__ = [
    "AbsPath",
    "Assets",
    "BasetenImage",
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
    "Environment",
    "HealthChecks",
    "MissingSecretError",
    "MissingServiceError",
    "ModelRepo",
    "ModelRepoSourceKind",
    "RPCOptions",
    "RemoteConfig",
    "SecretError",
    "Secrets",
    "StubBase",
    "UndeclaredSecretError",
    "UnresolvedDependencyError",
    "WeightsSource",
    "current_request_id",
    "depends",
    "depends_context",
    "make_abs_path_here",
    "mark_entrypoint",
    "remaining_time_sec",
    "run_local",
]
