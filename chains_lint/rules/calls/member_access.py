"""CH511: members of a dependency other than ``run_remote``."""

from __future__ import annotations

import difflib
import weakref
from collections.abc import Iterator

import libcst as cst

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.dependency_calls import RUN_REMOTE
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import Chainlet, DependencyMemberAccess, FunctionInfo
from chains_lint.model.walk import walk
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.calls.location import linted_bases, located

_MEMBERS: weakref.WeakKeyDictionary[Chainlet, frozenset[str]] = weakref.WeakKeyDictionary()


def callee_members(ctx: RuleContext, chainlet: Chainlet) -> frozenset[str]:
    """Names a chainlet instance has: methods, class attributes and ``self.x`` stores."""
    names = _MEMBERS.get(chainlet)
    if names is None:
        names = _MEMBERS[chainlet] = frozenset(_members(ctx.model.namespace, chainlet))
    return names


def _members(namespace: Namespace, chainlet: Chainlet) -> Iterator[str]:
    lineage = [chainlet.cls] + [
        c for c in (namespace.find_class(q) for q in chainlet.chainlet_bases) if c is not None
    ]
    for cls in lineage:
        yield from cls.methods
        yield from cls.attributes
        yield from (f.name for f in cls.fields)
        for method in cls.methods.values():
            yield from _self_stores(method)


def _self_stores(method: FunctionInfo) -> Iterator[str]:
    if not method.params:
        return
    self_name = method.params[0].name
    for node in walk(method.node.body):
        if (
            isinstance(node, cst.Attribute)
            and isinstance(node.value, cst.Name)
            and node.value.value == self_name
        ):
            yield node.attr.value


class DependencyMemberAccessRule(Rule):
    code = "CH511"
    name = "dependency-member-access"
    summary = (
        "Reports use of a dependency's attribute or method other than `run_remote` "
        "(`self._llm.tokenizer`, `self._llm.helper()`)."
    )
    why = """
Locally (`run_local`) a dependency is the chainlet object itself, so any of its
attributes works. Deployed, each chainlet runs as its own service and a
dependency is a generated stub that only has `run_remote`: everything else
fails with `AttributeError`.
"""
    fix = """
Expose what you need through the dependency's `run_remote`, or move the code
into the calling chainlet.
"""
    bad = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    greeting = "Hello"

    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> str:
        return f"{self._say_hello.greeting}, {name}"
"""
    bad_span = (17, 35, 17, 43)
    good = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> str:
        return await self._say_hello.run_remote(name)
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet in ctx.chainlets:
            if not chainlet.dependencies:
                continue
            for access in chainlet.dependency_members:
                found = self._problem(ctx, access)
                if found is None or self._reported_by_base(ctx, chainlet, access):
                    continue
                where, text, related = located(ctx, chainlet, access.span, access.method, found)
                yield self.diagnostic(where, text, related)

    def _problem(self, ctx: RuleContext, access: DependencyMemberAccess) -> str | None:
        target = ctx.model.chainlet_for(access.dependency.target_qualified)
        if target is None:
            return None
        if access.name in callee_members(ctx, target):
            return (
                f"`{access.name}` of dependency `{target.name}` only exists locally: deployed, "
                f"a dependency is a remote stub with nothing but `run_remote`, so this fails "
                f"with `AttributeError`; expose it through `{target.name}.run_remote`, or move "
                f"the code into this chainlet"
            )
        if difflib.get_close_matches(access.name, [RUN_REMOTE], n=1, cutoff=0.6):
            return (
                f"dependency `{target.name}` has no `{access.name}`; did you mean "
                f"`{RUN_REMOTE}`?"
            )
        return None

    def _reported_by_base(
        self, ctx: RuleContext, chainlet: Chainlet, access: DependencyMemberAccess
    ) -> bool:
        target = access.dependency.target_qualified
        for base in linted_bases(ctx, chainlet):
            others = base.dependency_members
            if any(
                o.dependency.target_qualified == target and o.span == access.span for o in others
            ):
                return True
        return False
