"""CH114-CH115: streaming that Python allows but truss does not support (truss profile)."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Span
from chains_lint.rules.base import RuleContext
from chains_lint.rules.run_remote.endpoint_rule import EndpointRule
from chains_lint.rules.run_remote.endpoints import Endpoint
from chains_lint.rules.run_remote.streams import GENERATORS, StreamKind, item_text


class TrussSyncStreaming(EndpointRule):
    code = "CH114"
    name = "truss-sync-streaming"
    summary = "Reports a streaming `run_remote` defined with plain `def` (truss profile)."
    why = """
truss supports streaming (`yield` in `run_remote`) only for `async def`
endpoints and rejects a synchronous generator when the chain is loaded.
"""
    fix = "Define `async def run_remote(...) -> AsyncIterator[...]` and keep the `yield`."
    bad = """
from collections.abc import Iterator

import truss_chains as chains


class Count(chains.ChainletBase):
    def run_remote(self, n: int) -> Iterator[str]:
        for i in range(n):
            yield str(i)
"""
    bad_span = (7, 9, 7, 19)
    good = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, n: int) -> AsyncIterator[str]:
        for i in range(n):
            yield str(i)
"""
    profiles = frozenset({"truss"})

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        if function.yields and not function.is_async:
            yield (
                function.span,
                (
                    "truss streams only from `async def` endpoints, but this `run_remote` is a "
                    "plain `def` that yields; make it `async def run_remote(...) -> "
                    "AsyncIterator[...]`"
                ),
            )


class TrussGeneratorReturnType(EndpointRule):
    code = "CH115"
    name = "truss-generator-return-type"
    summary = (
        "Reports a `run_remote` annotated as `AsyncGenerator`/`Generator` (truss profile), "
        "which truss does not accept."
    )
    why = """
truss recognizes a streaming endpoint only by a return annotation of
`AsyncIterator[...]` (or `Iterator[...]`). `AsyncGenerator[str, None]` is a
valid annotation in Python, but truss rejects it as an unsupported type.
"""
    fix = "Annotate the return type as `AsyncIterator[<item type>]`."
    bad = """
from collections.abc import AsyncGenerator

import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, n: int) -> AsyncGenerator[str, None]:
        for i in range(n):
            yield str(i)
"""
    bad_span = (7, 43, 7, 68)
    good = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, n: int) -> AsyncIterator[str]:
        for i in range(n):
            yield str(i)
"""
    profiles = frozenset({"truss"})

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        stream = endpoint.stream
        if stream is None or stream.head not in GENERATORS:
            return
        iterator = "AsyncIterator" if stream.kind is StreamKind.ASYNC else "Iterator"
        annotation = endpoint.function.returns
        assert annotation is not None
        yield (
            annotation.span,
            (
                f"truss does not accept `{annotation.text}` as a return type; annotate the stream "
                f"as `{iterator}[{item_text(stream.annotation)}]`"
            ),
        )
