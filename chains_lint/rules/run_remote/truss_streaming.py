"""CH114-CH115: streaming that Python allows but truss does not support (truss profile)."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Span
from chains_lint.rules.base import RuleContext
from chains_lint.rules.run_remote.endpoint_rule import EndpointRule
from chains_lint.rules.run_remote.endpoints import Endpoint
from chains_lint.rules.run_remote.examples import COUNT, count
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
    bad = count("Iterator[str]", imported="Iterator", define="def")
    good = COUNT
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
    bad = count("AsyncGenerator[str, None]", imported="AsyncGenerator")
    good = COUNT
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
