"""Which ``run_remote`` methods a linted module is responsible for.

A ``run_remote`` inherited from a chainlet base in a file that is not linted
is reported at the subclass (the problem is then shown as related location);
one inherited from a linted file is reported where it is defined.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import Chainlet, ChainModel, ClassInfo, FunctionInfo, Param, TypeExpr
from chains_lint.rules.base import RuleContext
from chains_lint.rules.run_remote.streams import StreamType, stream_type

# Decorators that turn ``run_remote`` into something that is not a plain method.
NOT_PLAIN_METHOD = frozenset(
    {
        "builtins.staticmethod",
        "builtins.classmethod",
        "builtins.property",
        "functools.cached_property",
        "abc.abstractstaticmethod",
        "abc.abstractclassmethod",
        "abc.abstractproperty",
    }
)
VARIADIC = ("var_positional", "var_keyword")
_POSITIONAL = ("positional_only", "positional_or_keyword")


@dataclass(frozen=True)
class Endpoint:
    """A ``run_remote`` to check for a chainlet of the linted module."""

    chainlet: Chainlet
    function: FunctionInfo
    module: ModuleInfo  # the module that defines ``function``
    # The base class ``function`` comes from, when that class is in a file that
    # is not linted (so the problem is reported at the subclass).
    inherited_from: ClassInfo | None
    # What the return annotation says about streaming (None: not annotated).
    stream: StreamType | None

    @property
    def receiver(self) -> Param | None:
        """The parameter bound to the instance: the first positional one."""
        params = self.function.params
        return params[0] if params and params[0].kind in _POSITIONAL else None

    @property
    def wire_params(self) -> tuple[Param, ...]:
        """The parameters that become fields of the request."""
        receiver = self.receiver
        return tuple(p for p in self.function.params if p is not receiver)

    @property
    def typed_fields(self) -> tuple[tuple[Param, TypeExpr], ...]:
        """The request fields that have a type annotation, with it (``*args`` left out)."""
        return tuple(
            (param, param.annotation)
            for param in self.wire_params
            if param.annotation is not None and param.kind not in VARIADIC
        )

    @property
    def not_plain_decorators(self) -> list[str]:
        return [
            d.written
            for d in self.function.decorators
            if d.qualified in NOT_PLAIN_METHOD and d.call is None
        ]


class ModelFacts:
    """What the ``run_remote`` rules look up in a whole model, once per model.

    A folder of chain files is one model, linted file by file: these are
    shared by all of its files instead of being recomputed for each.
    """

    def __init__(self, model: ChainModel) -> None:
        self.linted: frozenset[Path] = frozenset(model.linted_paths)
        # Qualified names of the chainlets that other chainlets derive from.
        self.used_as_base: frozenset[str] = frozenset(
            q for c in model.chainlets.values() for q in c.chainlet_bases
        )
        self.endpoints: dict[ModuleInfo, tuple[Endpoint, ...]] = {}


_MODELS: weakref.WeakKeyDictionary[ChainModel, ModelFacts] = weakref.WeakKeyDictionary()


def model_facts(model: ChainModel) -> ModelFacts:
    facts = _MODELS.get(model)
    if facts is None:
        facts = _MODELS[model] = ModelFacts(model)
    return facts


def endpoints(ctx: RuleContext) -> tuple[Endpoint, ...]:
    """The ``run_remote`` methods to check for the chainlets of the linted module."""
    facts = model_facts(ctx.model)
    found = facts.endpoints.get(ctx.module)
    if found is None:
        found = facts.endpoints[ctx.module] = tuple(_resolve(ctx, facts.linted))
    return found


def _resolve(ctx: RuleContext, linted: frozenset[Path]) -> Iterator[Endpoint]:
    namespace = ctx.model.namespace
    for chainlet in ctx.chainlets:
        function = chainlet.run_remote
        if function is None:
            continue
        owner = next(
            (c for c in _lineage(namespace, chainlet) if c.qualified == chainlet.run_remote_owner),
            None,
        )
        returns = function.returns
        stream = stream_type(namespace, returns) if returns is not None else None
        if owner is None or owner is chainlet.cls:
            yield Endpoint(chainlet, function, chainlet.module, None, stream)
            continue
        owner_module = namespace.module_of(owner)
        if owner_module.path in linted:
            continue  # reported where it is defined
        yield Endpoint(chainlet, function, owner_module, owner, stream)


def _lineage(namespace: Namespace, chainlet: Chainlet) -> list[ClassInfo]:
    found = (namespace.find_class(q) for q in chainlet.chainlet_bases)
    return [chainlet.cls, *(cls for cls in found if cls is not None)]
