"""CH504-CH505: iterating a dependency's result the wrong way, or not at all."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Span
from chains_lint.model.types import CallContext, DependencyCall
from chains_lint.rules.base import RuleContext
from chains_lint.rules.calls.call_rule import CallRule
from chains_lint.rules.calls.callee import Callee, CalleeKind, call_text

# (how the call is iterated, what the callee returns) -> the problem.
_WRONG_LOOP: dict[tuple[CallContext, CalleeKind], str] = {
    ("async_for", "async"): (
        "{name} does not stream, so `async for` over `{text}` fails; await it "
        "instead: `result = await {text}`"
    ),
    ("async_for", "sync"): (
        "{name} does not stream (and is sync), so `async for` over `{text}` "
        "fails; use its result directly, e.g. `for item in {text}:`"
    ),
    ("async_for", "sync_stream"): (
        "{name} is a sync generator, so `async for` over `{text}` fails; "
        "use `for chunk in {text}:`"
    ),
    ("for", "async"): (
        "{name} is async, so `{text}` is a coroutine that `for` cannot "
        "iterate; await it first: `for item in await {text}:`"
    ),
    ("for", "async_stream"): (
        "{name} is an async stream, so `for` cannot iterate `{text}`; "
        "use `async for chunk in {text}:`"
    ),
}


class WrongIterationOverDependency(CallRule):
    code = "CH504"
    name = "wrong-iteration-over-dependency"
    summary = (
        "Reports `async for` over a dependency that does not stream, and a `for` / "
        "`async for` that does not match the kind of the dependency's stream."
    )
    why = """
`async for` needs an async iterator: only a streaming `async def run_remote`
(one with `yield`) returns one. Over a non-streaming dependency it raises
`TypeError` and the coroutine is never awaited. A plain `for` cannot iterate a
coroutine or an async generator, and `async for` cannot iterate a sync
generator.
"""
    fix = """
Await a non-streaming dependency (`result = await self._dep.run_remote(x)`),
iterate an async stream with `async for`, and a sync stream with `for`.
"""
    bad = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class Spell(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> list[str]:
        return [letter async for letter in self._say_hello.run_remote(name)]
"""
    bad_span = (15, 44, 15, 76)
    good = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class Spell(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> list[str]:
        return list(await self._say_hello.run_remote(name))
"""

    def problems(
        self, ctx: RuleContext, call: DependencyCall, callee: Callee
    ) -> Iterator[tuple[Span, str]]:
        message = _WRONG_LOOP.get((call.context, callee.kind))
        if message is not None:
            yield call.span, message.format(name=f"`{callee.name}`", text=call_text(ctx, call))


class StreamDiscarded(CallRule):
    code = "CH505"
    name = "stream-discarded"
    summary = "Reports a call to a streaming dependency whose stream is dropped unread."
    why = """
Calling a streaming `run_remote` only creates a generator; the request to the
dependency is made while the generator is iterated. A dropped generator means
the dependency is never called.
"""
    fix = "Iterate the stream (`async for chunk in self._dep.run_remote(x): ...`)."
    bad = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Tokens(chains.ChainletBase):
    async def run_remote(self, prompt: str) -> AsyncIterator[str]:
        for word in prompt.split():
            yield word


@chains.mark_entrypoint
class Warmup(chains.ChainletBase):
    def __init__(self, tokens: Tokens = chains.depends(Tokens)) -> None:
        self._tokens = tokens

    async def run_remote(self, prompt: str) -> int:
        self._tokens.run_remote(prompt)
        return len(prompt)
"""
    bad_span = (18, 9, 18, 40)
    good = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Tokens(chains.ChainletBase):
    async def run_remote(self, prompt: str) -> AsyncIterator[str]:
        for word in prompt.split():
            yield word


@chains.mark_entrypoint
class Warmup(chains.ChainletBase):
    def __init__(self, tokens: Tokens = chains.depends(Tokens)) -> None:
        self._tokens = tokens

    async def run_remote(self, prompt: str) -> int:
        count = 0
        async for _ in self._tokens.run_remote(prompt):
            count += 1
        return count
"""

    def problems(
        self, ctx: RuleContext, call: DependencyCall, callee: Callee
    ) -> Iterator[tuple[Span, str]]:
        if callee.kind not in ("async_stream", "sync_stream") or call.context != "discarded":
            return
        text = call_text(ctx, call)
        loop = "async for" if callee.kind == "async_stream" else "for"
        yield call.span, (
            f"the stream from `{text}` is never iterated, so `{callee.chainlet.name}` is "
            f"never called; iterate it: `{loop} chunk in {text}:`"
        )

