"""The I/O types of the linted module's endpoints, checked once for all the CH2xx rules.

Each rule reports one kind of problem; the classification they share is
computed on first use for a linted module and kept for the others.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field

from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import ChainModel, TypeExpr
from chains_lint.rules.base import RuleContext
from chains_lint.rules.io_types.sites import IoSite, io_sites, untyped_stream
from chains_lint.rules.io_types.truss_io import TrussIo
from chains_lint.rules.io_types.truss_issues import TrussIssue
from chains_lint.rules.json_safety import Classification, JsonSafety
from chains_lint.rules.run_remote.endpoints import Endpoint, endpoints


@dataclass(frozen=True)
class EndpointTypes:
    """The classified I/O sites of one endpoint."""

    endpoint: Endpoint
    sites: tuple[tuple[IoSite, Classification], ...]
    untyped_stream: TypeExpr | None  # a stream return type without item type


@dataclass(frozen=True)
class EndpointIssues:
    """What truss rejects in the signature of one endpoint."""

    endpoint: Endpoint
    issues: tuple[TrussIssue, ...]


@dataclass
class _ModuleTypes:
    json: tuple[EndpointTypes, ...] | None = None
    truss: tuple[EndpointIssues, ...] | None = None


@dataclass
class _ModelTypes:
    by_module: dict[ModuleInfo, _ModuleTypes] = field(default_factory=dict)


_MODELS: weakref.WeakKeyDictionary[ChainModel, _ModelTypes] = weakref.WeakKeyDictionary()


def _module_types(ctx: RuleContext) -> _ModuleTypes:
    model = _MODELS.get(ctx.model)
    if model is None:
        model = _MODELS[ctx.model] = _ModelTypes()
    found = model.by_module.get(ctx.module)
    if found is None:
        found = model.by_module[ctx.module] = _ModuleTypes()
    return found


def endpoint_types(ctx: RuleContext) -> tuple[EndpointTypes, ...]:
    """Every I/O site of the linted module's endpoints, classified for JSON safety."""
    cached = _module_types(ctx)
    if cached.json is None:
        safety = JsonSafety(ctx.model.namespace)
        cached.json = tuple(_classify(safety, endpoint) for endpoint in endpoints(ctx))
    return cached.json


def _classify(safety: JsonSafety, endpoint: Endpoint) -> EndpointTypes:
    sites = tuple(
        (site, safety.classify(site.annotation, allow_websocket=site.role == "param"))
        for site in io_sites(safety, endpoint)
    )
    return EndpointTypes(endpoint, sites, untyped_stream(safety, endpoint))


def truss_issues(ctx: RuleContext) -> tuple[EndpointIssues, ...]:
    """What truss rejects in the signatures of the linted module's endpoints."""
    cached = _module_types(ctx)
    if cached.truss is None:
        truss = TrussIo(JsonSafety(ctx.model.namespace))
        cached.truss = tuple(
            EndpointIssues(endpoint, tuple(truss.issues(endpoint))) for endpoint in endpoints(ctx)
        )
    return cached.truss
