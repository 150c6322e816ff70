"""CH411: chainlets created by hand instead of by the framework."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.types import Chainlet
from chains_lint.model.values import dotted_name
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.call_sites import CallSite, call_sites

_RUN_LOCAL = "run_local"


class ChainletInstantiatedRule(Rule):
    code = "CH411"
    name = "chainlet-instantiated"
    summary = (
        "Reports a chainlet created directly (`SayHello()`), outside a "
        "`with chains.run_local():` block."
    )
    why = (
        "Chainlets are created by the framework, which injects their dependencies and "
        "context, and deploys each one as its own service. A chainlet created by hand has "
        "no dependencies, and inside another chainlet it runs in-process instead of being "
        "called remotely; the framework rejects it at run time."
    )
    fix = (
        "Inside a chainlet, declare it as a dependency: "
        "`say_hello: SayHello = chains.depends(SayHello)` in `__init__`. For local tests, "
        "create chainlets inside `with chains.run_local():`."
    )
    bad = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self) -> None:
        self._say_hello = SayHello()

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    bad_span = (12, 27, 12, 37)
    good = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])


if __name__ == "__main__":
    import asyncio

    with chains.run_local():
        hello_all = HelloAll()
        print(asyncio.run(hello_all.run_remote(["Ada", "Grace"])))
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for site in call_sites(ctx.module):
            chainlet = _chainlet_called(ctx, site.name)
            if chainlet is None or _in_run_local(ctx, site) or _bound_locally(site):
                continue
            yield self.diagnostic(
                ctx.module.span_of(site.call),
                f"`{chainlet.name}` is instantiated directly; chainlets are created by the "
                f"framework: declare it as a dependency in `__init__` "
                f"(`{_param_name(chainlet.name)}: {chainlet.name} = "
                f"chains.depends({chainlet.name})`), or for local testing create it inside "
                "`with chains.run_local():`",
            )


def _chainlet_called(ctx: RuleContext, callee: str) -> Chainlet | None:
    qualified = ctx.model.namespace.canonical(ctx.module.qualify(callee))
    return ctx.model.chainlet_for(qualified)


def _bound_locally(site: CallSite) -> bool:
    """True when the callee's name is rebound in a function around the call.

    ``from whisper_trt import WhisperModel`` inside a method makes ``WhisperModel()``
    there a call of the imported class, not of the chainlet of the same name.
    """
    head = site.name.partition(".")[0]
    return any(
        isinstance(node, cst.FunctionDef) and head in _local_names(node)
        for node in site.enclosing_nodes()
    )


def _local_names(function: cst.FunctionDef) -> set[str]:
    """The names a function binds in its own scope (a ``global`` name is not one)."""
    collector = _LocalNames()
    function.params.visit(collector)
    for statement in function.body.children:
        statement.visit(collector)
    return collector.bound - collector.declared_global


class _LocalNames(cst.CSTVisitor):
    def __init__(self) -> None:
        self.bound: set[str] = set()
        self.declared_global: set[str] = set()

    def visit_Param(self, node: cst.Param) -> bool:
        self.bound.add(node.name.value)
        return False

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        self.bound.add(node.name.value)
        return False  # its own scope

    def visit_ClassDef(self, node: cst.ClassDef) -> bool:
        self.bound.add(node.name.value)
        return False

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        return False

    def visit_Import(self, node: cst.Import) -> bool:
        for alias in node.names:
            self.bound.add(_alias_name(alias, alias.name).partition(".")[0])
        return False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if not isinstance(node.names, cst.ImportStar):
            for alias in node.names:
                self.bound.add(_alias_name(alias, alias.name))
        return False

    def visit_AssignTarget(self, node: cst.AssignTarget) -> None:
        self.bound.update(_target_names(node.target))

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.bound.update(_target_names(node.target))

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self.bound.update(_target_names(node.target))

    def visit_For(self, node: cst.For) -> None:
        self.bound.update(_target_names(node.target))

    def visit_AsName(self, node: cst.AsName) -> None:
        self.bound.update(_target_names(node.name))

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self.bound.update(_target_names(node.target))

    def visit_Global(self, node: cst.Global) -> None:
        self.declared_global.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        self.declared_global.update(item.name.value for item in node.names)


def _alias_name(alias: cst.ImportAlias, name: cst.Attribute | cst.Name) -> str:
    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
        return alias.asname.name.value
    return dotted_name(name) or ""


def _target_names(target: cst.BaseExpression) -> set[str]:
    if isinstance(target, cst.Name):
        return {target.value}
    if isinstance(target, (cst.Tuple, cst.List)):
        return {n for el in target.elements for n in _target_names(el.value)}
    if isinstance(target, cst.StarredElement):
        return _target_names(target.value)
    return set()


def _in_run_local(ctx: RuleContext, site: CallSite) -> bool:
    """True inside ``with chains.run_local():`` (its ``with`` items included)."""
    return any(
        isinstance(node, cst.With) and any(_is_run_local(ctx, i.item) for i in node.items)
        for node in site.enclosing_nodes()
    )


def _is_run_local(ctx: RuleContext, expr: cst.BaseExpression) -> bool:
    head = expr.func if isinstance(expr, cst.Call) else expr
    name = dotted_name(head)
    if name is None:
        return False
    return ctx.model.namespace.sdk_symbol(ctx.module.qualify(name)) == _RUN_LOCAL


def _param_name(class_name: str) -> str:
    """The usual parameter name for a chainlet: ``SayHello`` -> ``say_hello``."""
    out: list[str] = []
    for i, char in enumerate(class_name):
        if char.isupper() and i and not class_name[i - 1].isupper():
            out.append("_")
        out.append(char.lower())
    return "".join(out)
