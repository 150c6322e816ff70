"""CH106-CH107: request fields are passed by keyword, one named parameter each."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Span
from chains_lint.model.types import Param
from chains_lint.rules.base import RuleContext
from chains_lint.rules.run_remote.endpoint_rule import EndpointRule, ParamRule
from chains_lint.rules.run_remote.endpoints import Endpoint


class RunRemoteVariadic(EndpointRule):
    code = "CH106"
    name = "run-remote-variadic-param"
    summary = "Reports `*args` or `**kwargs` in the signature of `run_remote`."
    why = """
A request is a JSON object whose fields are the parameters of `run_remote`,
and the framework calls `run_remote(**fields)`. `*args` cannot receive keyword
arguments, and `**kwargs` would become one field literally named `kwargs`:
neither carries the inputs the code expects.
"""
    fix = "Declare every input as a named, annotated parameter (or one pydantic model)."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, *names: str) -> str:
        return ", ".join(names)
"""
    bad_span = (5, 32, 5, 38)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, names: list[str]) -> str:
        return ", ".join(names)
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        for param in endpoint.wire_params:
            if param.kind == "var_positional":
                yield (
                    param.span,
                    (
                        f"`run_remote` cannot take `*{param.name}`: it is called with named "
                        f"request fields only; take a list instead, e.g. `{param.name}: list[str]`"
                    ),
                )
            elif param.kind == "var_keyword":
                yield (
                    param.span,
                    (
                        f"`run_remote` cannot take `**{param.name}`: request fields come from "
                        "named parameters; declare each input as a named, annotated parameter"
                    ),
                )


class RunRemotePositionalOnly(ParamRule):
    code = "CH107"
    name = "run-remote-positional-only"
    summary = "Reports `run_remote` parameters declared positional-only (before `/`)."
    why = """
The framework passes the request fields as keyword arguments,
`run_remote(**fields)`, so a positional-only parameter raises a `TypeError` on
every call. (Only `self` may come before `/`: it is bound, not passed.)
"""
    fix = "Remove the `/` from the signature (or move it right after `self`)."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str, /) -> str:
        return f"Hello, {name}"
"""
    bad_span = (5, 32, 5, 36)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def param_problem(self, param: Param) -> str | None:
        if param.kind != "positional_only":
            return None
        return (
            f"`run_remote` parameter `{param.name}` is positional-only, but the "
            "request fields are passed by keyword; remove the `/` after it"
        )
