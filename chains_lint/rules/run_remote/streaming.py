"""CH111-CH113: ``yield`` in ``run_remote`` and a stream return type go together."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Span
from chains_lint.rules.base import RuleContext
from chains_lint.rules.run_remote.endpoint_rule import EndpointRule
from chains_lint.rules.run_remote.endpoints import Endpoint
from chains_lint.rules.run_remote.streams import (
    StreamKind,
    item_text,
    stream_example,
)


class RunRemoteYieldsWithoutStreamType(EndpointRule):
    code = "CH111"
    name = "run-remote-yield-without-stream-type"
    summary = "Reports a `run_remote` that yields but whose return type is not a stream type."
    why = """
A `run_remote` that contains `yield` is a streaming endpoint: the framework
sends each yielded item as it comes. It recognizes a stream only by a return
annotation like `AsyncIterator[str]`; with any other annotation truss rejects
the chainlet, and callers' stubs would expect a single value.
"""
    fix = "Annotate the return type as `AsyncIterator[<item type>]` (or stop yielding)."
    bad = """
import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, n: int) -> str:
        for i in range(n):
            yield str(i)
"""
    bad_span = (5, 43, 5, 46)
    good = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, n: int) -> AsyncIterator[str]:
        for i in range(n):
            yield str(i)
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        stream = endpoint.stream
        if not function.yields or stream is None or stream.kind is not StreamKind.NOT_STREAM:
            return
        assert function.returns is not None
        yield (
            function.returns.span,
            (
                "`run_remote` yields, so it streams, but its return type "
                f"`{function.returns.text}` is not a stream type; annotate it as "
                f"`{stream_example(function)}`"
            ),
        )


class RunRemoteStreamTypeWithoutYield(EndpointRule):
    code = "CH112"
    name = "run-remote-stream-type-without-yield"
    summary = (
        "Reports a `run_remote` annotated with a stream type (`AsyncIterator`...) "
        "whose body never yields."
    )
    why = """
Whether an endpoint streams is decided by `yield` in the body of `run_remote`.
Without it, `run_remote` is a plain coroutine: returning an iterator from it
(e.g. another chainlet's stream) is not streamed, and truss rejects an
endpoint whose return type is an iterator but which has no `yield`.
"""
    fix = """
Yield the items in `run_remote` (`async for chunk in ...: yield chunk`), or
annotate the type of the single value it returns. An abstract `run_remote` can
`raise NotImplementedError` followed by a `yield`.
"""
    bad = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Words(chains.ChainletBase):
    async def run_remote(self, text: str) -> AsyncIterator[str]:
        return text.split()
"""
    bad_span = (7, 46, 7, 64)
    good = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Words(chains.ChainletBase):
    async def run_remote(self, text: str) -> AsyncIterator[str]:
        for word in text.split():
            yield word
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        stream = endpoint.stream
        if function.yields or stream is None or not stream.is_stream:
            return
        assert function.returns is not None
        yield (
            function.returns.span,
            (
                f"the return type `{function.returns.text}` declares a stream, but `run_remote` "
                "never yields; yield the items, or annotate the single value it returns"
            ),
        )


class RunRemoteStreamKindMismatch(EndpointRule):
    code = "CH113"
    name = "run-remote-stream-kind-mismatch"
    summary = (
        "Reports a streaming `run_remote` whose stream type does not match `def` / `async def`: "
        "`async def` needs `AsyncIterator`/`AsyncGenerator`, `def` needs `Iterator`/`Generator`."
    )
    why = """
An `async def` that yields is an async generator, consumed with `async for`;
a plain `def` that yields is a sync generator, consumed with `for`. The stubs
callers use are typed from the annotation, so the wrong kind makes them iterate
the stream the wrong way.
"""
    fix = "Use `AsyncIterator[...]` for `async def run_remote`, `Iterator[...]` for `def`."
    bad = """
from collections.abc import Iterator

import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, n: int) -> Iterator[str]:
        for i in range(n):
            yield str(i)
"""
    bad_span = (7, 43, 7, 56)
    good = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, n: int) -> AsyncIterator[str]:
        for i in range(n):
            yield str(i)
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        stream = endpoint.stream
        if not function.yields or stream is None or function.returns is None:
            return
        wanted = StreamKind.ASYNC if function.is_async else StreamKind.SYNC
        if not stream.is_stream or stream.kind is wanted:
            return
        definition = "async def" if function.is_async else "def"
        generator = "an async generator" if function.is_async else "a sync generator"
        yield (
            function.returns.span,
            (
                f"`{definition} run_remote` yields, so it is {generator}, but its return type is "
                f"`{function.returns.text}`; annotate it as "
                f"`{stream_example(function, item_text(stream.annotation))}`"
            ),
        )
