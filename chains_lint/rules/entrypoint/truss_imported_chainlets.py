"""CH306 (truss): chainlet classes imported by name, which truss counts as entrypoint
candidates of the chain file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.model import sdk
from chains_lint.model.module import ModuleInfo
from chains_lint.model.sdk import is_sdk_module_name
from chains_lint.model.source_order import in_source_order
from chains_lint.model.types import Chainlet
from chains_lint.model.values import dotted_name
from chains_lint.rules.base import Rule, RuleContext


class TrussImportedChainletsRule(Rule):
    code = "CH306"
    name = "truss-entrypoint-ambiguous-imports"
    profiles = frozenset({"truss"})
    summary = (
        "Reports a chain file whose entrypoint truss would pick wrongly because chainlet "
        "classes (or `ChainletBase` itself) are imported into it by name."
    )
    why = (
        "truss looks for the entrypoint among every chainlet class bound to a name in the "
        "chain file, including classes imported with `from ... import`, and "
        "`ChainletBase` itself. So a file with a single, unmarked chainlet that also does "
        "`from truss_chains import ChainletBase` has two candidates and no entrypoint, and "
        "an imported chainlet marked as entrypoint elsewhere becomes this chain's "
        "entrypoint (or a second one)."
    )
    fix = (
        "Mark this file's entrypoint explicitly with `@chains.mark_entrypoint`, and import "
        "modules (`import truss_chains as chains`, `import lib`) rather than chainlet "
        "classes, or remove `@mark_entrypoint` from the imported chainlet."
    )
    bad = """
from truss_chains import ChainletBase


class SayHello(ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""
    bad_span = (1, 26, 1, 38)
    good = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        own = in_source_order(ctx.chainlets)
        if not own or ctx.analysis.is_imported(ctx.module):
            return
        imported = _imported_chainlets(ctx)
        if not imported:
            return
        named = {c.name for c in own} | {i.local for i in imported if i.chainlet is not None}
        if ctx.entrypoint in named:
            return  # `truss chains push FILE NAME` takes NAME and looks at no mark
        own_marked = [c for c in own if c.entrypoint is not None]
        marked_imports = [i for i in imported if i.chainlet and i.chainlet.entrypoint]
        for found in marked_imports:
            assert found.chainlet is not None
            home = found.chainlet.module.name
            consequence = (
                f"a second entrypoint besides `{own_marked[0].name}`, and the deploy fails"
                if own_marked
                else "the entrypoint of this chain instead of a chainlet of this file"
            )
            yield self.diagnostic(
                found.span,
                f"`{found.local}` is imported by name and marked as entrypoint in `{home}`, "
                f"so truss makes it {consequence}; import its module instead "
                f"(`import {home}`) or remove its `@mark_entrypoint`",
            )
        if own_marked or marked_imports or len(own) != 1:
            return
        first = imported[0]
        yield self.diagnostic(
            first.span,
            f"truss counts `{first.local}`, imported by name, as a chainlet of this file, so "
            f"it cannot tell whether `{first.local}` or `{own[0].name}` is the entrypoint; "
            f"mark `{own[0].name}` with `@mark_entrypoint` (or import the module instead)",
        )


@dataclass(frozen=True)
class _ImportedChainlet:
    local: str  # the name bound in the chain file
    chainlet: Chainlet | None  # None: ``ChainletBase`` itself
    span: Span


def _imported_chainlets(ctx: RuleContext) -> list[_ImportedChainlet]:
    """Chainlet classes bound to names of the file by ``from x import ...``."""
    namespace = ctx.model.namespace
    module = ctx.module
    found: list[_ImportedChainlet] = []
    for local, qualified in module.imports.items():
        if local in module.classes or "." not in qualified:
            continue
        if namespace.sdk_symbol(qualified) == sdk.CHAINLET_BASE:
            found.append(_ImportedChainlet(local, None, _import_span(module, local)))
            continue
        chainlet = ctx.model.chainlet_for(namespace.canonical(qualified))
        if chainlet is not None and chainlet.module is not module:
            found.append(_ImportedChainlet(local, chainlet, _import_span(module, local)))
    for statement in _sdk_star_imports(module):
        found.append(_ImportedChainlet(sdk.CHAINLET_BASE, None, module.span_of(statement)))
    return found


def _sdk_star_imports(module: ModuleInfo) -> list[cst.ImportFrom]:
    """``from truss_chains import *`` statements at the top level of ``module``."""
    if module.tree is None:
        return []
    found: list[cst.ImportFrom] = []
    for statement in module.tree.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if (
                isinstance(small, cst.ImportFrom)
                and isinstance(small.names, cst.ImportStar)
                and small.module is not None
                and is_sdk_module_name(dotted_name(small.module) or "")
            ):
                found.append(small)
    return found


def _import_span(module: ModuleInfo, local: str) -> Span:
    qualified = module.imports.get(local, "")
    for imported in module.imported_modules:
        if imported.name == qualified:
            return imported.span
    return Span(module.display_path, 1, 1, 1, 1)
