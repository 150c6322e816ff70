"""CH501-CH511: calls to dependencies (``self._dep.run_remote(...)``).

Each call is checked against the callee's ``run_remote``: whether it is async,
streaming or sync decides how its result must be used (awaited, iterated with
``async for``, or used directly), and its signature decides which arguments
the call may pass. The callee is looked up in the chain model, so it may live
in another file.

A call in a method inherited from a base chainlet is reported where it is
written when the base is in a linted file and sees the same call; otherwise
(the base's file is not linted, or the subclass injects a different
dependency) it is reported at the subclass, with the call as related location.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import libcst as cst

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.model.dependency_calls import (
    RUN_REMOTE,
    DependencyMemberAccess,
    DependencyUseAnalyzer,
    chainlet_methods,
)
from chains_lint.model.types import Chainlet, DependencyCall, FunctionInfo, Param
from chains_lint.rules.base import Rule, RuleContext

_MAX_CALL_TEXT = 60

_SAY_HELLO = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

_STREAMER = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Tokens(chains.ChainletBase):
    async def run_remote(self, prompt: str) -> AsyncIterator[str]:
        for word in prompt.split():
            yield word
"""


# ---------------------------------------------------------------------------
# Locating diagnostics (shared with the secrets rules)
# ---------------------------------------------------------------------------


def located(
    ctx: RuleContext, chainlet: Chainlet, span: Span, method: str, message: str
) -> tuple[Span, str, tuple[Span, ...]]:
    """Where to report a problem found at ``span`` in one of ``chainlet``'s methods.

    A problem inside the linted file is reported where it is. One in a method
    inherited from another file is reported at the subclass's name, with the
    real location as related span.
    """
    if span.path == ctx.module.display_path:
        return span, message, ()
    prefix = f"in `{method}` inherited from {span.path}:{span.line}: "
    return chainlet.cls.span, prefix + message, (span,)


def _linted_bases(ctx: RuleContext, chainlet: Chainlet) -> Iterator[Chainlet]:
    linted = set(ctx.model.linted_paths)
    for qualified in chainlet.chainlet_bases:
        base = ctx.model.chainlet_for(qualified)
        if base is not None and base.module.path in linted:
            yield base


def _reported_by_base(ctx: RuleContext, chainlet: Chainlet, call: DependencyCall) -> bool:
    """True when a linted base chainlet sees the same call to the same callee."""
    for base in _linted_bases(ctx, chainlet):
        for other in base.dependency_calls:
            if (
                other.span == call.span
                and other.dependency.target_qualified == call.dependency.target_qualified
                and other.context == call.context
            ):
                return True
    return False


# ---------------------------------------------------------------------------
# What a call goes to
# ---------------------------------------------------------------------------

CalleeKind = Literal["async", "sync", "async_stream", "sync_stream"]


@dataclass(frozen=True)
class Callee:
    chainlet: Chainlet
    function: FunctionInfo

    @property
    def kind(self) -> CalleeKind:
        if self.function.yields:
            return "async_stream" if self.function.is_async else "sync_stream"
        return "async" if self.function.is_async else "sync"

    @property
    def name(self) -> str:
        return f"{self.chainlet.name}.run_remote"


def callee_of(ctx: RuleContext, call: DependencyCall) -> Callee | None:
    chainlet = ctx.model.chainlet_for(call.dependency.target_qualified)
    if chainlet is None or chainlet.run_remote is None:
        return None
    return Callee(chainlet, chainlet.run_remote)


def call_text(ctx: RuleContext, call: DependencyCall) -> str:
    """The call as written, shortened; ``SayHello.run_remote(...)`` when multi-line."""
    span = call.span
    for module in ctx.model.modules.values():
        if module.display_path != span.path or span.line != span.end_line:
            continue
        text = module.line_text(span.line)[span.column - 1 : span.end_column - 1]
        marker = f"{RUN_REMOTE}("
        if len(text) > _MAX_CALL_TEXT and marker in text:
            text = text[: text.index(marker) + len(marker)] + "...)"
        if text:
            return text
    target = call.dependency.target.text if call.dependency.target else "dependency"
    return f"{target}.run_remote(...)"


class _CallRule(Rule):
    """A rule over every dependency call of the linted file's chainlets."""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet in ctx.chainlets:
            for call in chainlet.dependency_calls:
                callee = callee_of(ctx, call)
                if callee is None or _reported_by_base(ctx, chainlet, call):
                    continue
                for span, message in self.problems(ctx, call, callee):
                    where, text, related = located(ctx, chainlet, span, call.method, message)
                    yield self.diagnostic(where, text, related)

    def problems(
        self, ctx: RuleContext, call: DependencyCall, callee: Callee
    ) -> Iterator[tuple[Span, str]]:
        raise NotImplementedError


# ---------------------------------------------------------------------------
# CH501-CH505: how the result is used
# ---------------------------------------------------------------------------


class CoroutineNeverAwaited(_CallRule):
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
    bad = (
        _SAY_HELLO
        + '''

@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        output = []
        for name in names:
            output.append(self._say_hello.run_remote(name))
        return "\\n".join(output)
'''
    )
    good = (
        "\nimport asyncio\n"
        + _SAY_HELLO
        + '''

@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        output = await asyncio.gather(*(self._say_hello.run_remote(n) for n in names))
        return "\\n".join(output)
'''
    )

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


class AwaitSyncDependency(_CallRule):
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


class AwaitStreamingDependency(_CallRule):
    code = "CH503"
    name = "await-streaming-dependency"
    summary = "Reports `await` (or asyncio scheduling) of a call to a streaming dependency."
    why = """
A dependency whose `run_remote` contains `yield` streams its results: calling
it returns an (async) generator, which cannot be awaited. `await` raises
`TypeError`, and the dependency is never called.
"""
    fix = "Iterate the stream: `async for chunk in self._dep.run_remote(x): ...`."
    bad = (
        _STREAMER
        + '''

@chains.mark_entrypoint
class Joiner(chains.ChainletBase):
    def __init__(self, tokens: Tokens = chains.depends(Tokens)) -> None:
        self._tokens = tokens

    async def run_remote(self, prompt: str) -> str:
        return await self._tokens.run_remote(prompt)
'''
    )
    good = (
        _STREAMER
        + '''

@chains.mark_entrypoint
class Joiner(chains.ChainletBase):
    def __init__(self, tokens: Tokens = chains.depends(Tokens)) -> None:
        self._tokens = tokens

    async def run_remote(self, prompt: str) -> str:
        words = [word async for word in self._tokens.run_remote(prompt)]
        return " ".join(words)
'''
    )

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


class WrongIterationOverDependency(_CallRule):
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
    bad = (
        _SAY_HELLO
        + '''

@chains.mark_entrypoint
class Spell(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> list[str]:
        return [letter async for letter in self._say_hello.run_remote(name)]
'''
    )
    good = (
        _SAY_HELLO
        + '''

@chains.mark_entrypoint
class Spell(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> list[str]:
        return list(await self._say_hello.run_remote(name))
'''
    )

    def problems(
        self, ctx: RuleContext, call: DependencyCall, callee: Callee
    ) -> Iterator[tuple[Span, str]]:
        text = call_text(ctx, call)
        kind = callee.kind
        name = f"`{callee.name}`"
        if call.context == "async_for":
            if kind == "async":
                yield call.span, (
                    f"{name} does not stream, so `async for` over `{text}` fails; await it "
                    f"instead: `result = await {text}`"
                )
            elif kind == "sync":
                yield call.span, (
                    f"{name} does not stream (and is sync), so `async for` over `{text}` "
                    f"fails; use its result directly, e.g. `for item in {text}:`"
                )
            elif kind == "sync_stream":
                yield call.span, (
                    f"{name} is a sync generator, so `async for` over `{text}` fails; "
                    f"use `for chunk in {text}:`"
                )
        elif call.context == "for":
            if kind == "async":
                yield call.span, (
                    f"{name} is async, so `{text}` is a coroutine that `for` cannot "
                    f"iterate; await it first: `for item in await {text}:`"
                )
            elif kind == "async_stream":
                yield call.span, (
                    f"{name} is an async stream, so `for` cannot iterate `{text}`; "
                    f"use `async for chunk in {text}:`"
                )


class StreamDiscarded(_CallRule):
    code = "CH505"
    name = "stream-discarded"
    summary = "Reports a call to a streaming dependency whose stream is dropped unread."
    why = """
Calling a streaming `run_remote` only creates a generator; the request to the
dependency is made while the generator is iterated. A dropped generator means
the dependency is never called.
"""
    fix = "Iterate the stream (`async for chunk in self._dep.run_remote(x): ...`)."
    bad = (
        _STREAMER
        + '''

@chains.mark_entrypoint
class Warmup(chains.ChainletBase):
    def __init__(self, tokens: Tokens = chains.depends(Tokens)) -> None:
        self._tokens = tokens

    async def run_remote(self, prompt: str) -> int:
        self._tokens.run_remote(prompt)
        return len(prompt)
'''
    )
    good = (
        _STREAMER
        + '''

@chains.mark_entrypoint
class Warmup(chains.ChainletBase):
    def __init__(self, tokens: Tokens = chains.depends(Tokens)) -> None:
        self._tokens = tokens

    async def run_remote(self, prompt: str) -> int:
        count = 0
        async for _ in self._tokens.run_remote(prompt):
            count += 1
        return count
'''
    )

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


# ---------------------------------------------------------------------------
# CH506-CH510: arguments
# ---------------------------------------------------------------------------

ArgumentProblemKind = Literal["missing", "unknown_keyword", "too_many", "duplicate", "omitted"]


@dataclass(frozen=True)
class ArgumentProblem:
    kind: ArgumentProblemKind
    span: Span
    message: str


def _signature(function: FunctionInfo) -> list[Param] | None:
    """The parameters a caller passes (without ``self``); None when unclear."""
    if any(d.written in ("staticmethod", "classmethod") for d in function.decorators):
        return None
    params = list(function.params)
    if not params or params[0].kind not in ("positional_only", "positional_or_keyword"):
        return None
    return params[1:]


def argument_problems(call: DependencyCall, callee: Callee) -> list[ArgumentProblem]:
    """What is wrong with the arguments of ``call`` for the callee's signature."""
    params = _signature(callee.function)
    if params is None or call.has_star_args:
        return []
    name = f"`{callee.name}`"
    slots = [p for p in params if p.kind in ("positional_only", "positional_or_keyword")]
    accepts_varargs = any(p.kind == "var_positional" for p in params)
    accepts_kwargs = any(p.kind == "var_keyword" for p in params)
    problems: list[ArgumentProblem] = []
    if len(call.args) > len(slots) and not accepts_varargs:
        extra = call.args[len(slots)]
        problems.append(
            ArgumentProblem(
                "too_many",
                extra.span,
                f"{name} takes {_count(len(slots), 'positional argument')} but the call "
                f"passes {len(call.args)}; remove `{extra.text}` or pass it by keyword",
            )
        )
    positional = {p.name for p in slots[: len(call.args)]}
    bound = set(positional)
    by_name = {p.name: p for p in params if p.kind not in ("var_positional", "var_keyword")}
    for keyword, value in call.kwargs:
        param = by_name.get(keyword)
        if keyword in positional:
            problems.append(
                ArgumentProblem(
                    "duplicate",
                    value.span,
                    f"`{keyword}` is passed both by position and by keyword to {name} "
                    f"(`TypeError`); pass it once",
                )
            )
        elif param is not None and param.kind == "positional_only" and not accepts_kwargs:
            problems.append(
                ArgumentProblem(
                    "unknown_keyword",
                    value.span,
                    f"`{keyword}` is a positional-only parameter of {name} and cannot be "
                    f"passed by keyword; pass it by position",
                )
            )
            bound.add(keyword)
        elif param is None and not accepts_kwargs:
            problems.append(
                ArgumentProblem(
                    "unknown_keyword", value.span, _unknown_keyword(keyword, name, by_name)
                )
            )
            # A misspelled keyword is reported once, not again as a missing parameter.
            bound.update(_close_match(keyword, by_name))
        else:
            bound.add(keyword)
    missing = [p.name for p in params if p.required and p.name not in bound]
    if missing:
        listed = ", ".join(f"`{m}`" for m in missing)
        problems.append(
            ArgumentProblem(
                "missing",
                call.span,
                f"the call to {name} is missing "
                f"{'argument' if len(missing) == 1 else 'arguments'} {listed}; pass "
                f"{'it' if len(missing) == 1 else 'them'}",
            )
        )
    omitted = [p.name for p in by_name.values() if not p.required and p.name not in bound]
    if omitted:
        listed = ", ".join(f"`{o}`" for o in omitted)
        problems.append(
            ArgumentProblem(
                "omitted",
                call.span,
                f"the call to {name} leaves out {listed}, which "
                f"{'has a default' if len(omitted) == 1 else 'have defaults'}; the stub truss "
                f"generates for a deployed dependency has no defaults, so the call fails "
                f"with `TypeError` once deployed; pass "
                f"{_explicit(omitted)} explicitly",
            )
        )
    return problems


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _explicit(names: list[str]) -> str:
    return ", ".join(f"`{n}=...`" for n in names)


def _close_match(word: str, known: dict[str, Param]) -> list[str]:
    return difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)


def _unknown_keyword(keyword: str, name: str, known: dict[str, Param]) -> str:
    message = f"{name} has no parameter `{keyword}`"
    close = _close_match(keyword, known)
    if close:
        return f"{message}; did you mean `{close[0]}`?"
    if known:
        listed = ", ".join(f"`{k}`" for k in known)
        return f"{message}; its parameters are {listed}"
    return f"{message}; it takes no arguments"


class _ArgumentRule(_CallRule):
    kind: ArgumentProblemKind

    def problems(
        self, ctx: RuleContext, call: DependencyCall, callee: Callee
    ) -> Iterator[tuple[Span, str]]:
        for problem in argument_problems(call, callee):
            if problem.kind == self.kind:
                yield problem.span, problem.message


_ARGS_CHAIN = """
import truss_chains as chains


class Repeat(chains.ChainletBase):
    async def run_remote(self, text: str, times: int) -> str:
        return text * times


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, repeat: Repeat = chains.depends(Repeat)) -> None:
        self._repeat = repeat

    async def run_remote(self, text: str) -> str:
        return await self._repeat.run_remote(CALL)
"""


def _args_chain(call: str) -> str:
    return _ARGS_CHAIN.replace("CALL", call)


class MissingArgument(_ArgumentRule):
    code = "CH506"
    name = "dependency-call-missing-argument"
    kind = "missing"
    summary = "Reports a dependency call that does not pass a required parameter of `run_remote`."
    why = "The call fails with `TypeError` at run time, before any request is made."
    fix = "Pass every parameter of the dependency's `run_remote` that has no default."
    bad = _args_chain("text")
    good = _args_chain("text, times=2")


class UnknownKeywordArgument(_ArgumentRule):
    code = "CH507"
    name = "dependency-call-unknown-keyword"
    kind = "unknown_keyword"
    summary = (
        "Reports a keyword argument that the dependency's `run_remote` has no parameter for "
        "(or a positional-only parameter passed by keyword)."
    )
    why = "The call fails with `TypeError` at run time; often the name is misspelled."
    fix = "Use the parameter names of the dependency's `run_remote`."
    bad = _args_chain("text, time=2")
    good = _args_chain("text, times=2")


class TooManyPositionalArguments(_ArgumentRule):
    code = "CH508"
    name = "dependency-call-too-many-arguments"
    kind = "too_many"
    summary = "Reports a dependency call with more positional arguments than `run_remote` takes."
    why = "The call fails with `TypeError` at run time."
    fix = "Pass only the parameters the dependency's `run_remote` declares."
    bad = _args_chain("text, 2, 3")
    good = _args_chain("text, 2")


class DuplicateArgument(_ArgumentRule):
    code = "CH509"
    name = "dependency-call-duplicate-argument"
    kind = "duplicate"
    summary = "Reports a parameter passed both by position and by keyword in a dependency call."
    why = "The call fails with `TypeError: got multiple values for argument` at run time."
    fix = "Pass each parameter once."
    bad = _args_chain("text, 2, text=text")
    good = _args_chain("text, 2")


class OmittedDefaultArgument(_ArgumentRule):
    code = "CH510"
    name = "truss-dependency-call-omits-default"
    kind = "omitted"
    profiles = frozenset({"truss"})
    summary = (
        "Reports a dependency call that leaves out a `run_remote` parameter that has a "
        "default (truss profile)."
    )
    why = """
When a chain is deployed, truss replaces each dependency with a generated stub
whose `run_remote` has the same parameters but no default values (truss
0.18). A call that relies on a default works in `run_local` but fails with
`TypeError: missing a required argument` once deployed.
"""
    fix = "Pass every parameter explicitly, also those that have a default."
    bad = _ARGS_CHAIN.replace("times: int", "times: int = 2").replace("CALL", "text")
    good = _ARGS_CHAIN.replace("times: int", "times: int = 2").replace("CALL", "text, times=2")


# ---------------------------------------------------------------------------
# CH511: other members of a dependency
# ---------------------------------------------------------------------------


def callee_members(ctx: RuleContext, chainlet: Chainlet) -> set[str]:
    """Names a chainlet instance has: methods, class attributes and ``self.x`` stores."""
    names: set[str] = set()
    namespace = ctx.model.namespace
    lineage = [chainlet.cls] + [
        c for c in (namespace.find_class(q) for q in chainlet.chainlet_bases) if c is not None
    ]
    for cls in lineage:
        names |= set(cls.methods) | set(cls.attributes) | {f.name for f in cls.fields}
        for method in cls.methods.values():
            names |= _self_stores(method)
    return names


def _self_stores(method: FunctionInfo) -> set[str]:
    if not method.params:
        return set()
    self_name = method.params[0].name
    found: set[str] = set()

    class _Finder(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> None:
            if isinstance(node.value, cst.Name) and node.value.value == self_name:
                found.add(node.attr.value)

    method.node.body.visit(_Finder())
    return found


class DependencyMemberAccessRule(Rule):
    code = "CH511"
    name = "dependency-member-access"
    summary = (
        "Reports use of a dependency's attribute or method other than `run_remote` "
        "(`self._llm.tokenizer`, `self._llm.helper()`)."
    )
    why = """
Locally (`run_local`) a dependency is the chainlet object itself, so any of its
attributes works. Deployed, each chainlet runs as its own service and a
dependency is a generated stub that only has `run_remote`: everything else
fails with `AttributeError`.
"""
    fix = """
Expose what you need through the dependency's `run_remote`, or move the code
into the calling chainlet.
"""
    bad = (
        _SAY_HELLO.replace(
            "    async def run_remote",
            '    greeting = "Hello"\n\n    async def run_remote',
        )
        + '''

@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> str:
        return f"{self._say_hello.greeting}, {name}"
'''
    )
    good = (
        _SAY_HELLO
        + '''

@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> str:
        return await self._say_hello.run_remote(name)
'''
    )

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet in ctx.chainlets:
            if not chainlet.dependencies:
                continue
            methods = chainlet_methods(namespace, chainlet)
            try:
                accesses = DependencyUseAnalyzer(methods, chainlet.dependencies).member_accesses()
            except RecursionError:
                continue
            for access in accesses:
                found = self._problem(ctx, access)
                if found is None or self._reported_by_base(ctx, chainlet, access):
                    continue
                where, text, related = located(ctx, chainlet, access.span, access.method, found)
                yield self.diagnostic(where, text, related)

    def _problem(self, ctx: RuleContext, access: DependencyMemberAccess) -> str | None:
        target = ctx.model.chainlet_for(access.dependency.target_qualified)
        if target is None:
            return None
        if access.name in callee_members(ctx, target):
            return (
                f"`{access.name}` of dependency `{target.name}` only exists locally: deployed, "
                f"a dependency is a remote stub with nothing but `run_remote`, so this fails "
                f"with `AttributeError`; expose it through `{target.name}.run_remote`, or move "
                f"the code into this chainlet"
            )
        if difflib.get_close_matches(access.name, [RUN_REMOTE], n=1, cutoff=0.6):
            return (
                f"dependency `{target.name}` has no `{access.name}`; did you mean "
                f"`{RUN_REMOTE}`?"
            )
        return None

    def _reported_by_base(
        self, ctx: RuleContext, chainlet: Chainlet, access: DependencyMemberAccess
    ) -> bool:
        for base in _linted_bases(ctx, chainlet):
            methods = chainlet_methods(ctx.model.namespace, base)
            try:
                others = DependencyUseAnalyzer(methods, base.dependencies).member_accesses()
            except RecursionError:
                return False
            if any(
                o.span == access.span
                and o.dependency.target_qualified == access.dependency.target_qualified
                for o in others
            ):
                return True
        return False


RULES: tuple[type[Rule], ...] = (
    CoroutineNeverAwaited,
    AwaitSyncDependency,
    AwaitStreamingDependency,
    WrongIterationOverDependency,
    StreamDiscarded,
    MissingArgument,
    UnknownKeywordArgument,
    TooManyPositionalArguments,
    DuplicateArgument,
    OmittedDefaultArgument,
    DependencyMemberAccessRule,
)
