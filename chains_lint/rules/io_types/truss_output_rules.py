"""CH257-CH258: what truss accepts as results and streams (truss profile)."""

from __future__ import annotations

from chains_lint.rules.io_types.truss_issues import TrussCheck
from chains_lint.rules.io_types.truss_rule import TrussRule


class TrussVariadicTupleReturn(TrussRule):
    code = "CH257"
    name = "truss-variadic-tuple-return"
    check_kind = TrussCheck.VARIADIC_TUPLE
    summary = "Reports a `tuple[T, ...]` return type of `run_remote` (truss profile)."
    why = """
truss_chains reads a tuple return type as a fixed list of outputs and checks
each element as an I/O type; the `...` of `tuple[int, ...]` is not a type, so
the chainlet is rejected.
"""
    fix = "Return `list[T]` for a variable number of items, or list each element type."
    bad = """
import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> tuple[str, ...]:
        return tuple(text.split())
"""
    bad_span = (5, 57, 5, 60)
    good = """
import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> list[str]:
        return text.split()
"""


class TrussStreamItemType(TrussRule):
    code = "CH258"
    name = "truss-stream-item-type"
    check_kind = TrussCheck.STREAM_ITEM
    summary = (
        "Reports a streaming `run_remote` whose item type is not `str` or `bytes`, or is "
        "missing (truss profile)."
    )
    why = """
truss_chains streams only `str` or `bytes` items: `AsyncIterator[int]` or
`AsyncIterator[Model]` are rejected, and so is an iterator without item type.
Structured items must be serialised by the chainlet, e.g. with the
`truss_chains.streaming` writer and reader helpers.
"""
    fix = "Yield `str` or `bytes` and annotate `AsyncIterator[str]` / `AsyncIterator[bytes]`."
    bad = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Counter(chains.ChainletBase):
    async def run_remote(self, limit: int) -> AsyncIterator[int]:
        for value in range(limit):
            yield value
"""
    bad_span = (7, 61, 7, 64)
    good = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Counter(chains.ChainletBase):
    async def run_remote(self, limit: int) -> AsyncIterator[str]:
        for value in range(limit):
            yield str(value)
"""

