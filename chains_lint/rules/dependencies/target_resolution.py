"""What the chainlet argument of a ``depends()`` call refers to."""

from __future__ import annotations

import enum
import weakref
from dataclasses import dataclass

import libcst as cst

from chains_lint.model.builder import chainlet_bases
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.non_chainlets import definitely_not_chainlet
from chains_lint.model.types import Chainlet, ChainModel, DependencyInfo
from chains_lint.model.values import dotted_name
from chains_lint.model.walk import walk


class TargetKind(enum.Enum):
    CHAINLET = "chainlet"
    MISSING = "missing"  # depends()
    NOT_A_NAME = "not_a_name"  # depends("SayHello"), depends(make()), depends(*xs)
    UNDEFINED = "undefined"  # the name exists nowhere
    NOT_CHAINLET = "not_chainlet"  # a known class, function, builtin... that is not one
    UNKNOWN = "unknown"  # defined outside what the linter can see


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    chainlet: Chainlet | None = None
    # UNDEFINED: the module the name was looked up in (None: the depends() module)
    where: ModuleInfo | None = None
    # NOT_CHAINLET: what the name is instead, e.g. "a function"
    what: str = ""


def resolve_target(model: ChainModel, module: ModuleInfo, dependency: DependencyInfo) -> Target:
    """What the chainlet argument of ``dependency`` (written in ``module``) refers to."""
    target = dependency.target
    if target is None:
        star = dependency.call.has_star_args
        return Target(TargetKind.NOT_A_NAME if star else TargetKind.MISSING)
    if dotted_name(target.node) is None:
        return Target(TargetKind.NOT_A_NAME)
    namespace = model.namespace
    if target.qualified_name is None:
        if _has_star_import(module):
            return Target(TargetKind.UNKNOWN)
        return Target(TargetKind.UNDEFINED)
    canonical = namespace.canonical(target.qualified_name) or target.qualified_name
    chainlet = model.chainlet_for(canonical)
    if chainlet is not None:
        return Target(TargetKind.CHAINLET, chainlet)
    return _non_chainlet_target(namespace, canonical)


def _non_chainlet_target(namespace: Namespace, canonical: str) -> Target:
    symbol = namespace.sdk_symbol(canonical)
    if symbol is not None:
        what = "the chains SDK module" if symbol == "" else f"the SDK's `{symbol}`"
        return Target(TargetKind.NOT_CHAINLET, what=what)
    if canonical.startswith("builtins."):
        return Target(TargetKind.NOT_CHAINLET, what="a builtin")
    cls = namespace.find_class(canonical)
    if cls is not None:
        if chainlet_bases(namespace, cls) is None and definitely_not_chainlet(namespace, cls):
            return Target(TargetKind.NOT_CHAINLET, what="a class that does not derive from "
                          "`ChainletBase`")
        return Target(TargetKind.UNKNOWN)
    found = namespace.split(canonical)
    if found is None:
        return Target(TargetKind.UNKNOWN)
    owner, rest = found
    if not rest:
        return Target(TargetKind.NOT_CHAINLET, what="a module")
    if len(rest) > 1:
        return Target(TargetKind.UNKNOWN)
    name = rest[0]
    if name in owner.functions:
        return Target(TargetKind.NOT_CHAINLET, what="a function")
    if name in owner.constants:
        value = owner.constants[name]
        if dotted_name(value) is not None:  # an alias: Alias = SayHello
            return Target(TargetKind.UNKNOWN)
        return Target(TargetKind.NOT_CHAINLET, what="a variable")
    if name in owner.defined_names or name in owner.imports or _has_star_import(owner):
        return Target(TargetKind.UNKNOWN)
    return Target(TargetKind.UNDEFINED, where=owner)


_STAR_IMPORTS: weakref.WeakKeyDictionary[ModuleInfo, bool] = weakref.WeakKeyDictionary()


def _has_star_import(module: ModuleInfo) -> bool:
    """True when ``module`` has ``from x import *`` (so any name may be defined)."""
    found = _STAR_IMPORTS.get(module)
    if found is None:
        statements = walk(module.tree, prune=_holds_no_import) if module.tree is not None else ()
        found = _STAR_IMPORTS[module] = any(
            isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar)
            for node in statements
        )
    return found


def _holds_no_import(node: cst.CSTNode) -> bool:
    return isinstance(node, (cst.BaseExpression, cst.ImportFrom))
