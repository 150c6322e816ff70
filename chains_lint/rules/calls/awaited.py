"""CH502-CH503: awaiting a call whose result cannot be awaited."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Span
from chains_lint.model.types import DependencyCall
from chains_lint.rules.base import RuleContext
from chains_lint.rules.calls.call_rule import CallRule
from chains_lint.rules.calls.callee import Callee, call_text


class AwaitSyncDependency(CallRule):
    code = "CH502"
    name = "await-sync-dependency"
    summary = (
        "Reports `await` (or asyncio scheduling) of a call to a dependency whose `run_remote` "
        "is sync."
    )
    why = """
A dependency whose `run_remote` is a plain `def` returns its result directly.
The result is not awaitable, so `await` (or `asyncio.gather`, `create_task`...)
raises `TypeError` at run time.
"""
    fix = """
Call it without `await`, or better, make the dependency's `run_remote`
`async def` so that calls to it do not block the event loop.
"""
    bad = """
import truss_chains as chains


class Upper(chains.ChainletBase):
    def run_remote(self, text: str) -> str:
        return text.upper()


@chains.mark_entrypoint
class Shout(chains.ChainletBase):
    def __init__(self, upper: Upper = chains.depends(Upper)) -> None:
        self._upper = upper

    async def run_remote(self, text: str) -> str:
        return await self._upper.run_remote(text)
"""
    bad_span = (15, 22, 15, 50)
    good = """
import truss_chains as chains


class Upper(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text.upper()


@chains.mark_entrypoint
class Shout(chains.ChainletBase):
    def __init__(self, upper: Upper = chains.depends(Upper)) -> None:
        self._upper = upper

    async def run_remote(self, text: str) -> str:
        return await self._upper.run_remote(text)
"""

    def problems(
        self, ctx: RuleContext, call: DependencyCall, callee: Callee
    ) -> Iterator[tuple[Span, str]]:
        if callee.kind != "sync" or call.context not in ("await", "scheduled"):
            return
        text = call_text(ctx, call)
        how = "awaited" if call.context == "await" else "passed to asyncio"
        yield (
            call.span,
            f"`{callee.name}` is a sync `def`, so `{text}` returns its result directly and "
            f"cannot be {how} (`TypeError`); call it without `await`, or make "
            f"`{callee.name}` `async def`",
        )


class AwaitStreamingDependency(CallRule):
    code = "CH503"
    name = "await-streaming-dependency"
    summary = "Reports `await` (or asyncio scheduling) of a call to a streaming dependency."
    why = """
A dependency whose `run_remote` contains `yield` streams its results: calling
it returns an (async) generator, which cannot be awaited. `await` raises
`TypeError`, and the dependency is never called.
"""
    fix = "Iterate the stream: `async for chunk in self._dep.run_remote(x): ...`."
    bad = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Tokens(chains.ChainletBase):
    async def run_remote(self, prompt: str) -> AsyncIterator[str]:
        for word in prompt.split():
            yield word


@chains.mark_entrypoint
class Joiner(chains.ChainletBase):
    def __init__(self, tokens: Tokens = chains.depends(Tokens)) -> None:
        self._tokens = tokens

    async def run_remote(self, prompt: str) -> str:
        return await self._tokens.run_remote(prompt)
"""
    bad_span = (18, 22, 18, 53)
    good = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Tokens(chains.ChainletBase):
    async def run_remote(self, prompt: str) -> AsyncIterator[str]:
        for word in prompt.split():
            yield word


@chains.mark_entrypoint
class Joiner(chains.ChainletBase):
    def __init__(self, tokens: Tokens = chains.depends(Tokens)) -> None:
        self._tokens = tokens

    async def run_remote(self, prompt: str) -> str:
        words = [word async for word in self._tokens.run_remote(prompt)]
        return " ".join(words)
"""

    def problems(
        self, ctx: RuleContext, call: DependencyCall, callee: Callee
    ) -> Iterator[tuple[Span, str]]:
        if callee.kind not in ("async_stream", "sync_stream"):
            return
        if call.context not in ("await", "scheduled"):
            return
        text = call_text(ctx, call)
        how = "awaited" if call.context == "await" else "passed to asyncio"
        loop = "async for" if callee.kind == "async_stream" else "for"
        yield (
            call.span,
            f"`{callee.name}` streams (it contains `yield`), so `{text}` returns a generator "
            f"that cannot be {how}; iterate it: `{loop} chunk in {text}:`",
        )

