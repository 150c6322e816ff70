"""CH102, CH103, CH110: ``run_remote`` is a plain ``async`` method taking ``self``."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Severity, Span
from chains_lint.model.types import Param
from chains_lint.rules.base import RuleContext
from chains_lint.rules.run_remote.endpoint_rule import EndpointRule
from chains_lint.rules.run_remote.endpoints import NOT_PLAIN_METHOD, Endpoint

SELF = "self"


class RunRemoteNotPlainMethod(EndpointRule):
    code = "CH102"
    name = "run-remote-not-plain-method"
    summary = "Reports a `run_remote` decorated as a `staticmethod`, `classmethod` or `property`."
    why = """
The framework calls `run_remote` on the chainlet instance with the request
fields as keyword arguments. A static method or class method gets no instance
(truss reads the first parameter as `self` and rejects the signature), and a
property is not callable as a method at all.
"""
    fix = "Remove the decorator and make `run_remote` a plain method with `self` first."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    @staticmethod
    async def run_remote(name: str) -> str:
        return f"Hello, {name}"
"""
    bad_span = (5, 5, 5, 18)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        for decorator in endpoint.function.decorators:
            if decorator.qualified in NOT_PLAIN_METHOD and decorator.call is None:
                yield (
                    decorator.span,
                    (
                        f"`run_remote` is decorated with `@{decorator.written}`, but it must be a "
                        "plain method called on the chainlet instance; remove the decorator and "
                        "take `self` as the first parameter"
                    ),
                )


class RunRemoteSelf(EndpointRule):
    code = "CH103"
    name = "run-remote-self"
    summary = "Reports a `run_remote` whose first parameter is missing or not named `self`."
    why = """
truss requires `run_remote` to be a method with `self` as its first parameter
and rejects the chainlet otherwise. Any other first parameter is taken as the
instance, not as an input.
"""
    fix = "Make `self` the first parameter of `run_remote`."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(this, name: str) -> str:
        return f"Hello, {name}"
"""
    bad_span = (5, 26, 5, 30)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        if endpoint.not_plain_decorators:
            return  # CH102 says what to do
        function = endpoint.function
        receiver = endpoint.receiver
        if not function.params:
            yield (
                function.span,
                (
                    "`run_remote` has no parameters; it must be a method: add `self` as its "
                    "first parameter"
                ),
            )
        elif receiver is None:
            first = function.params[0]
            yield (
                first.span,
                (
                    "`run_remote` must take `self` as its first positional parameter, got "
                    f"`{_written_param(first)}`; add `self` before it"
                ),
            )
        elif receiver.name != SELF:
            yield (
                receiver.span,
                (
                    f"`run_remote` must take `self` as its first parameter, got `{receiver.name}`; "
                    "rename it to `self`"
                ),
            )


def _written_param(param: Param) -> str:
    stars = {"var_positional": "*", "var_keyword": "**"}.get(param.kind, "")
    return f"{stars}{param.name}"


class RunRemoteSync(EndpointRule):
    code = "CH110"
    name = "run-remote-sync"
    severity = Severity.WARNING
    summary = "Reports a `run_remote` defined with plain `def` instead of `async def`."
    why = """
A synchronous `run_remote` is run in a thread pool. Threads hold the GIL, so
concurrent requests gain little, and some libraries are not thread-safe (e.g.
a CUDA context in torch). truss deprecates synchronous endpoints.
"""
    fix = "Define `async def run_remote(...)` and use async APIs for the work inside."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""
    bad_span = (5, 9, 5, 19)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        if not function.is_async:
            yield (
                function.span,
                (
                    "`run_remote` is synchronous, so it runs in a thread pool; make it "
                    "`async def run_remote` and use async APIs inside"
                ),
            )
