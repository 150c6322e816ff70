"""CH104-CH105: the parameters and the result of ``run_remote`` are annotated."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Span
from chains_lint.model.types import Param
from chains_lint.rules.base import RuleContext
from chains_lint.rules.run_remote.endpoint_rule import EndpointRule, ParamRule
from chains_lint.rules.run_remote.endpoints import Endpoint
from chains_lint.rules.run_remote.streams import stream_example


def _example_type(param: Param) -> str:
    """A type to suggest for ``param``: from a literal default, else ``str``."""
    literal = param.default.literal if param.default is not None else None
    if isinstance(literal, bool):
        return "bool"
    if isinstance(literal, (int, float, str)):
        return type(literal).__name__
    if isinstance(literal, list):
        return "list[str]"
    if isinstance(literal, dict):
        return "dict[str, str]"
    return "str"


class RunRemoteParamAnnotation(ParamRule):
    code = "CH104"
    name = "run-remote-param-unannotated"
    summary = "Reports a `run_remote` parameter (other than `self`) without a type annotation."
    why = """
The request and its validation are generated from the annotations of
`run_remote`: a parameter without one has no type to build a request field
from, and truss rejects the chainlet.
"""
    fix = "Annotate the parameter with a JSON-compatible type, e.g. `name: str`."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name) -> str:
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
        if param.annotation is not None:
            return None
        return (
            f"`run_remote` parameter `{param.name}` has no type annotation; annotate "
            f"it, e.g. `{param.name}: {_example_type(param)}`"
        )


class RunRemoteReturnAnnotation(EndpointRule):
    code = "CH105"
    name = "run-remote-return-unannotated"
    summary = "Reports a `run_remote` without a return annotation."
    why = """
The response (or, for a streaming endpoint, the items of the stream) is
serialized according to the return annotation of `run_remote`, and callers'
stubs are typed from it. truss rejects an endpoint without one.
"""
    fix = """
Annotate the return type: `-> str`, `-> MyOutput` (a pydantic model), `-> None`,
or `-> AsyncIterator[str]` for a streaming endpoint.
"""
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str):
        return f"Hello, {name}"
"""
    bad_span = (5, 15, 5, 25)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        if function.returns is not None:
            return
        if function.yields:
            hint = f"it yields, so annotate the stream, e.g. `-> {stream_example(function)}`"
        else:
            hint = "add one, e.g. `-> str`, or `-> None` when it returns nothing"
        yield function.span, f"`run_remote` has no return annotation; {hint}"
