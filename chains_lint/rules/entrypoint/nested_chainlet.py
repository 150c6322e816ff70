"""CH307: a chainlet class defined inside a function or another class."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.builder import chainlet_bases
from chains_lint.rules.base import Rule, RuleContext


def _is_test_file(name: str) -> bool:
    return name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py"


class NestedChainletRule(Rule):
    code = "CH307"
    name = "chainlet-not-top-level"
    summary = "Reports a chainlet class defined inside a function or another class."
    why = """
A deployed chainlet's server imports the chain file and looks the chainlet
class up by its name at module level, and the deploy tools find chainlets
the same way. A class defined inside a function or another class is not a
module attribute: it cannot be deployed, used as a dependency's target in
another chainlet's server, or be the entrypoint (truss imports such a file
without complaint; the deployment then fails). Test files (`test_*.py`,
`*_test.py`, `conftest.py`) are not checked: tests define throwaway chainlets
inside test functions to run them with `run_local`.
"""
    fix = "Define the chainlet at module top level."
    bad = """
import truss_chains as chains


def make_chainlet():
    class Hello(chains.ChainletBase):
        async def run_remote(self, name: str) -> str:
            return f"Hello, {name}"

    return Hello
"""
    bad_span = (5, 11, 5, 16)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        module = ctx.module
        if _is_test_file(module.path.name):
            return  # tests define throwaway chainlets in test functions for run_local
        for cls in module.nested_classes:
            if chainlet_bases(namespace, cls) is None:
                continue
            prefix = f"{module.name}." if module.name else ""
            dotted = cls.qualified.removeprefix(prefix)
            owner = dotted.rpartition(".")[0] or "another scope"
            yield self.diagnostic(
                cls.span,
                f"chainlet `{cls.name}` is defined inside `{owner}`, so it cannot be deployed "
                "(a chainlet is found by its name at module level); move the class to module "
                "top level",
            )
