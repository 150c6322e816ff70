"""Rules about the options of ``depends()`` (CH407-CH409)."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.model.depends_options import (
    OPTION_DEFAULTS,
    OPTION_NAMES,
    RUNTIME_OPTION_DEFAULTS,
    TARGET_KEYWORD,
    option_values,
    positional_options,
)
from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import DependencyInfo, LiteralValue, StaticValue
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.own_inits import own_dependencies

_MAX_EXCERPT = 40
_LINE_BREAKS = re.compile(r"\s*[\r\n]+\s*")


class DependsUnknownOptionRule(Rule):
    code = "CH407"
    name = "depends-unknown-option"
    summary = (
        "Reports `depends()` arguments it does not take: unknown keywords, too many "
        "positional arguments, or an option given twice."
    )
    why = (
        "`depends(chainlet_cls, retries, timeout_sec, use_binary, concurrency_limit, *, "
        "max_response_bytes, max_frame_bytes)` takes nothing else; anything more is a "
        "`TypeError` when the file is imported. truss's `depends()` does not take the two "
        "keyword-only limits of this runtime (the `truss` profile reports them)."
    )
    fix = (
        "Use the option names `retries`, `timeout_sec`, `use_binary`, `concurrency_limit`, "
        "`max_response_bytes` and `max_frame_bytes`, each once."
    )
    bad = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello, retry=3)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    bad_span = (11, 71, 11, 76)
    good = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello, retries=3)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for _, dependency in own_dependencies(ctx):
            yield from self._check_call(ctx, dependency)

    def _check_call(self, ctx: RuleContext, dependency: DependencyInfo) -> Iterator[Diagnostic]:
        positional = positional_options(dependency)
        for extra in positional[len(OPTION_NAMES):]:
            yield self.diagnostic(
                extra.span,
                f"`depends` takes at most {len(OPTION_NAMES) + 1} positional arguments; "
                f"remove `{extra.text}` or pass options by keyword, e.g. `retries=3`",
            )
        given = {name for name, _ in zip(OPTION_NAMES, positional, strict=False)}
        if dependency.call.args and dependency.target is dependency.call.args[0]:
            given.add(TARGET_KEYWORD)
        for keyword, span in _keywords(ctx.module, dependency):
            if keyword in given:
                yield self.diagnostic(
                    span,
                    f"`{keyword}` is given twice in `depends(...)`; keep one of them",
                )
                continue
            given.add(keyword)
            if keyword in RUNTIME_OPTION_DEFAULTS and ctx.profile == "truss":
                yield self.diagnostic(
                    span,
                    f"truss's `depends` has no option `{keyword}` (only this runtime's has); "
                    "remove it to deploy with truss",
                )
                continue
            if keyword == TARGET_KEYWORD or keyword in OPTION_DEFAULTS:
                continue
            known = OPTION_NAMES if ctx.profile == "truss" else tuple(OPTION_DEFAULTS)
            close = difflib.get_close_matches(keyword, known, n=1)
            hint = (
                f"did you mean `{close[0]}`?" if close
                else "its options are " + ", ".join(f"`{o}`" for o in known)
            )
            yield self.diagnostic(span, f"`depends` has no option `{keyword}`; {hint}")


def _keywords(module: ModuleInfo, dependency: DependencyInfo) -> Iterator[tuple[str, Span]]:
    """Keyword arguments of the depends() call, with the span of each keyword."""
    default = dependency.param.default
    node = default.node if default is not None else None
    if not isinstance(node, cst.Call):
        return
    for arg in node.args:
        if arg.keyword is not None and not arg.star:
            yield arg.keyword.value, module.span_of(arg.keyword)


def _own_options(ctx: RuleContext) -> Iterator[tuple[str, StaticValue]]:
    """Every option given to the linted module's own ``depends()`` calls: (name, value)."""
    for _, dependency in own_dependencies(ctx):
        yield from option_values(dependency)


@dataclass(frozen=True)
class _OptionSpec:
    accepts: str  # for messages, e.g. "a non-negative integer"
    example: str

    def valid(self, name: str, value: LiteralValue) -> bool:
        if name == "use_binary":
            return isinstance(value, bool)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if name == "timeout_sec":
            return value > 0
        if not isinstance(value, int):
            return False
        return value >= (0 if name == "retries" else 1)


_OPTION_SPECS = {
    "retries": _OptionSpec("a non-negative integer", "retries=3"),
    "timeout_sec": _OptionSpec("a positive number of seconds", "timeout_sec=60"),
    "use_binary": _OptionSpec("`True` or `False`", "use_binary=True"),
    "concurrency_limit": _OptionSpec("a positive integer", "concurrency_limit=32"),
    "max_response_bytes": _OptionSpec(
        "a positive integer (bytes)", "max_response_bytes=134217728"
    ),
    "max_frame_bytes": _OptionSpec("a positive integer (bytes)", "max_frame_bytes=33554432"),
}


class DependsOptionInvalidRule(Rule):
    code = "CH408"
    name = "depends-option-invalid"
    summary = "Reports a `depends()` option whose literal value has the wrong type or range."
    why = (
        "The options configure calls to the dependency: `retries` must be a non-negative "
        "integer, `timeout_sec` a positive number, `concurrency_limit` a positive integer "
        "and `use_binary` a bool. Other values fail validation or make every call fail."
    )
    fix = "Pass a value of the right type and range, e.g. `retries=3, timeout_sec=60`."
    bad = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello, timeout_sec=0)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    bad_span = (11, 83, 11, 84)
    good = r"""
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello, timeout_sec=30)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for name, value in _own_options(ctx):
            spec = _OPTION_SPECS[name]
            if value.is_literal and not spec.valid(name, value.literal):  # type: ignore[arg-type]
                yield self.diagnostic(
                    value.span,
                    f"`{name}` must be {spec.accepts}, got `{value.text}`; "
                    f"e.g. `{spec.example}`",
                )


class DependsOptionNotLiteralRule(Rule):
    code = "CH409"
    name = "depends-option-not-literal"
    severity = Severity.WARNING
    summary = "Reports a `depends()` option whose value is not a literal."
    why = (
        "Options are read statically, without running the file; a computed value cannot "
        "be checked or shown, and may differ between your machine and the deployment."
    )
    fix = "Use a literal, or a module-level constant bound to one."
    bad = """
import os

import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(
        self,
        say_hello: SayHello = chains.depends(
            SayHello, retries=int(os.environ.get("RETRIES", "3"))
        ),
    ) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    bad_span = (16, 31, 16, 66)
    good = r"""
import truss_chains as chains

RETRIES = 3


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello, retries=RETRIES)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for name, value in _own_options(ctx):
            if not value.is_literal:
                yield self.diagnostic(
                    value.span,
                    f"`{name}={_excerpt(value.text)}` is not a literal, so it cannot be read "
                    f"without running the file; use a literal, e.g. "
                    f"`{_OPTION_SPECS[name].example}`",
                )


def _excerpt(code: str) -> str:
    """``code`` on one line, cut to a length that reads well inside a message."""
    folded = _LINE_BREAKS.sub(" ", code).strip()
    if len(folded) <= _MAX_EXCERPT:
        return folded
    return folded[: _MAX_EXCERPT - 3].rstrip() + "..."
