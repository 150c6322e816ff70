"""CH501: a call to an async dependency whose coroutine is never awaited."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Span
from chains_lint.model.dependency_calls import RUN_REMOTE
from chains_lint.model.types import DependencyCall
from chains_lint.rules.base import RuleContext
from chains_lint.rules.calls.call_rule import CallRule
from chains_lint.rules.calls.callee import Callee, call_text


class CoroutineNeverAwaited(CallRule):
    code = "CH501"
    name = "coroutine-never-awaited"
    summary = (
        "Reports a call to an async dependency whose coroutine is never awaited: used as a "
        "value, stored and never awaited, returned from `run_remote`, or dropped."
    )
    why = """
`run_remote` of an async chainlet is `async def`: calling it only creates a
coroutine, and the remote call happens when the coroutine is awaited. A
coroutine that is never awaited never calls the dependency, and code that uses
it as a result (joins it into a string, returns it, sends it on) fails or
produces `<coroutine object ...>` at run time.
"""
    fix = """
`await` the call: `text = await self._dep.run_remote(x)`. To run several calls
concurrently, collect the coroutines and await them together:
`results = await asyncio.gather(*(self._dep.run_remote(x) for x in xs))`.
"""
    bad = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        output = []
        for name in names:
            output.append(self._say_hello.run_remote(name))
        return "\n".join(output)
"""
    bad_span = (17, 27, 17, 59)
    good = r"""
import asyncio

import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        output = await asyncio.gather(*(self._say_hello.run_remote(n) for n in names))
        return "\n".join(output)
"""

    def problems(
        self, ctx: RuleContext, call: DependencyCall, callee: Callee
    ) -> Iterator[tuple[Span, str]]:
        if callee.kind != "async":
            return
        if call.context not in ("value", "stored_unconsumed", "returned", "discarded"):
            return
        text = call_text(ctx, call)
        message = _never_awaited_message(call, callee, text)
        if not call.method_is_async:
            message += (
                "; the function containing it is not `async def`, so make it `async def` "
                "to be able to await"
            )
        yield call.span, message


def _never_awaited_message(call: DependencyCall, callee: Callee, text: str) -> str:
    is_async = f"`{callee.name}` is async"
    gather = "`await asyncio.gather(...)`"
    if call.context == "discarded":
        return (
            f"`{text}` is never awaited, so `{callee.chainlet.name}` is never called "
            f"({is_async}); write `await {text}`"
        )
    if call.context == "stored_unconsumed":
        holder = call.holder or "a variable"
        return (
            f"the coroutine from `{text}` is stored in `{holder}` but never awaited "
            f"({is_async}), so `{holder}` holds coroutine objects instead of results; "
            f"await it, e.g. run the calls concurrently with {gather}"
        )
    if call.context == "returned":
        helper = call.holder or call.method
        if helper != RUN_REMOTE:
            return (
                f"the coroutine from `{text}` is returned by `{helper}` without being "
                f"awaited, and the callers of `{helper}` do not await it either ({is_async}); "
                f"write `return await {text}` in an `async def {helper}` and await "
                f"`{helper}(...)`"
            )
        return (
            f"`run_remote` returns the coroutine from `{text}` instead of its result "
            f"({is_async}); write `return await {text}`"
        )
    return (
        f"`{text}` is used without `await`, so it is a coroutine object, not the result "
        f"({is_async}); write `await {text}`, or {gather} for several calls"
    )

