"""CH506-CH510: the arguments of a dependency call."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Span
from chains_lint.model.types import DependencyCall
from chains_lint.rules.base import RuleContext
from chains_lint.rules.calls.arguments import ArgumentProblemKind, argument_problems
from chains_lint.rules.calls.call_rule import CallRule
from chains_lint.rules.calls.callee import Callee


class ArgumentRule(CallRule):
    """Reports the argument problems of one kind."""

    kind: ArgumentProblemKind

    def problems(
        self, ctx: RuleContext, call: DependencyCall, callee: Callee
    ) -> Iterator[tuple[Span, str]]:
        for problem in argument_problems(call, callee):
            if problem.kind == self.kind:
                yield problem.span, problem.message


class MissingArgument(ArgumentRule):
    code = "CH506"
    name = "dependency-call-missing-argument"
    kind = "missing"
    summary = "Reports a dependency call that does not pass a required parameter of `run_remote`."
    why = "The call fails with `TypeError` at run time, before any request is made."
    fix = "Pass every parameter of the dependency's `run_remote` that has no default."
    bad = """
import truss_chains as chains


class Repeat(chains.ChainletBase):
    async def run_remote(self, text: str, times: int) -> str:
        return text * times


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, repeat: Repeat = chains.depends(Repeat)) -> None:
        self._repeat = repeat

    async def run_remote(self, text: str) -> str:
        return await self._repeat.run_remote(text)
"""
    bad_span = (15, 22, 15, 51)
    good = """
import truss_chains as chains


class Repeat(chains.ChainletBase):
    async def run_remote(self, text: str, times: int) -> str:
        return text * times


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, repeat: Repeat = chains.depends(Repeat)) -> None:
        self._repeat = repeat

    async def run_remote(self, text: str) -> str:
        return await self._repeat.run_remote(text, times=2)
"""


class UnknownKeywordArgument(ArgumentRule):
    code = "CH507"
    name = "dependency-call-unknown-keyword"
    kind = "unknown_keyword"
    summary = (
        "Reports a keyword argument that the dependency's `run_remote` has no parameter for "
        "(or a positional-only parameter passed by keyword)."
    )
    why = "The call fails with `TypeError` at run time; often the name is misspelled."
    fix = "Use the parameter names of the dependency's `run_remote`."
    bad = """
import truss_chains as chains


class Repeat(chains.ChainletBase):
    async def run_remote(self, text: str, times: int) -> str:
        return text * times


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, repeat: Repeat = chains.depends(Repeat)) -> None:
        self._repeat = repeat

    async def run_remote(self, text: str) -> str:
        return await self._repeat.run_remote(text, time=2)
"""
    bad_span = (15, 57, 15, 58)
    good = """
import truss_chains as chains


class Repeat(chains.ChainletBase):
    async def run_remote(self, text: str, times: int) -> str:
        return text * times


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, repeat: Repeat = chains.depends(Repeat)) -> None:
        self._repeat = repeat

    async def run_remote(self, text: str) -> str:
        return await self._repeat.run_remote(text, times=2)
"""


class TooManyPositionalArguments(ArgumentRule):
    code = "CH508"
    name = "dependency-call-too-many-arguments"
    kind = "too_many"
    summary = "Reports a dependency call with more positional arguments than `run_remote` takes."
    why = "The call fails with `TypeError` at run time."
    fix = "Pass only the parameters the dependency's `run_remote` declares."
    bad = """
import truss_chains as chains


class Repeat(chains.ChainletBase):
    async def run_remote(self, text: str, times: int) -> str:
        return text * times


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, repeat: Repeat = chains.depends(Repeat)) -> None:
        self._repeat = repeat

    async def run_remote(self, text: str) -> str:
        return await self._repeat.run_remote(text, 2, 3)
"""
    bad_span = (15, 55, 15, 56)
    good = """
import truss_chains as chains


class Repeat(chains.ChainletBase):
    async def run_remote(self, text: str, times: int) -> str:
        return text * times


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, repeat: Repeat = chains.depends(Repeat)) -> None:
        self._repeat = repeat

    async def run_remote(self, text: str) -> str:
        return await self._repeat.run_remote(text, 2)
"""


class DuplicateArgument(ArgumentRule):
    code = "CH509"
    name = "dependency-call-duplicate-argument"
    kind = "duplicate"
    summary = "Reports a parameter passed both by position and by keyword in a dependency call."
    why = "The call fails with `TypeError: got multiple values for argument` at run time."
    fix = "Pass each parameter once."
    bad = """
import truss_chains as chains


class Repeat(chains.ChainletBase):
    async def run_remote(self, text: str, times: int) -> str:
        return text * times


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, repeat: Repeat = chains.depends(Repeat)) -> None:
        self._repeat = repeat

    async def run_remote(self, text: str) -> str:
        return await self._repeat.run_remote(text, 2, text=text)
"""
    bad_span = (15, 60, 15, 64)
    good = """
import truss_chains as chains


class Repeat(chains.ChainletBase):
    async def run_remote(self, text: str, times: int) -> str:
        return text * times


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, repeat: Repeat = chains.depends(Repeat)) -> None:
        self._repeat = repeat

    async def run_remote(self, text: str) -> str:
        return await self._repeat.run_remote(text, 2)
"""


class OmittedDefaultArgument(ArgumentRule):
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
    bad = """
import truss_chains as chains


class Repeat(chains.ChainletBase):
    async def run_remote(self, text: str, times: int = 2) -> str:
        return text * times


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, repeat: Repeat = chains.depends(Repeat)) -> None:
        self._repeat = repeat

    async def run_remote(self, text: str) -> str:
        return await self._repeat.run_remote(text)
"""
    bad_span = (15, 22, 15, 51)
    good = """
import truss_chains as chains


class Repeat(chains.ChainletBase):
    async def run_remote(self, text: str, times: int = 2) -> str:
        return text * times


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, repeat: Repeat = chains.depends(Repeat)) -> None:
        self._repeat = repeat

    async def run_remote(self, text: str) -> str:
        return await self._repeat.run_remote(text, times=2)
"""
