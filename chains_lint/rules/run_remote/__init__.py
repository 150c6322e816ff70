"""CH101-CH117: the shape of ``run_remote``, the one endpoint a chainlet exposes, and of
``is_healthy`` (CH116, CH117).

The framework builds a pydantic request model from the parameters of
``run_remote`` and calls it as ``run_remote(**fields)``; the return annotation
decides how the result (or a stream of results) goes back. These rules check
the signature shape only; whether the types are JSON-safe is for the CH2xx rules.

A ``run_remote`` inherited from a chainlet base in a file that is not linted
is reported at the subclass (the problem is then shown as related location);
one inherited from a linted file is reported where it is defined.
"""

from __future__ import annotations

from chains_lint.rules.base import Rule
from chains_lint.rules.run_remote.annotations import (
    RunRemoteParamAnnotation,
    RunRemoteReturnAnnotation,
)
from chains_lint.rules.run_remote.health_check import (
    HealthCheckNotMethod,
    TrussHealthCheckSignature,
)
from chains_lint.rules.run_remote.method import (
    RunRemoteNotPlainMethod,
    RunRemoteSelf,
    RunRemoteSync,
)
from chains_lint.rules.run_remote.missing import RunRemoteMissing
from chains_lint.rules.run_remote.param_kinds import RunRemotePositionalOnly, RunRemoteVariadic
from chains_lint.rules.run_remote.param_names import (
    PYDANTIC_BASEMODEL_ATTRIBUTES,
    RunRemoteParamShadowsBaseModel,
    RunRemotePrivateParamName,
)
from chains_lint.rules.run_remote.streaming import (
    RunRemoteStreamKindMismatch,
    RunRemoteStreamTypeWithoutYield,
    RunRemoteYieldsWithoutStreamType,
)
from chains_lint.rules.run_remote.truss_streaming import (
    TrussGeneratorReturnType,
    TrussSyncStreaming,
)

__all__ = ["PYDANTIC_BASEMODEL_ATTRIBUTES", "RULES"]

RULES: tuple[type[Rule], ...] = (
    RunRemoteMissing,
    RunRemoteNotPlainMethod,
    RunRemoteSelf,
    RunRemoteParamAnnotation,
    RunRemoteReturnAnnotation,
    RunRemoteVariadic,
    RunRemotePositionalOnly,
    RunRemotePrivateParamName,
    RunRemoteParamShadowsBaseModel,
    RunRemoteSync,
    RunRemoteYieldsWithoutStreamType,
    RunRemoteStreamTypeWithoutYield,
    RunRemoteStreamKindMismatch,
    TrussSyncStreaming,
    TrussGeneratorReturnType,
    HealthCheckNotMethod,
    TrussHealthCheckSignature,
)
