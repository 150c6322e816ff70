"""CH252-CH255: the containers truss accepts, `list` and `dict` with item types (truss profile)."""

from __future__ import annotations

from chains_lint.rules.io_types.truss_issues import TrussCheck
from chains_lint.rules.io_types.truss_rule import TrussRule


class TrussContainerItemType(TrussRule):
    code = "CH252"
    name = "truss-container-item-type"
    check_kind = TrussCheck.CONTAINER_ITEM
    summary = (
        "Reports `list`/`dict` item types that are not simple types or pydantic models, "
        "e.g. nested containers (truss profile)."
    )
    why = """
truss_chains checks each type argument of a `list` or `dict` in the
`run_remote` signature: it must be `int`, `float`, `complex`, `bool`, `str`,
`bytes`, `None` or a pydantic model. Nested containers (`list[list[int]]`),
enums, `Literal` and `Optional` items are rejected.
"""
    fix = "Wrap the nested structure in a pydantic model and use `list[Model]`."
    bad = """
import truss_chains as chains


class Matrix(chains.ChainletBase):
    async def run_remote(self, rows: list[list[float]]) -> float:
        return sum(sum(row) for row in rows)
"""
    bad_span = (5, 43, 5, 54)
    good = """
import pydantic

import truss_chains as chains


class Row(pydantic.BaseModel):
    values: list[float]


class Matrix(chains.ChainletBase):
    async def run_remote(self, rows: list[Row]) -> float:
        return sum(sum(row.values) for row in rows)
"""


class TrussTypingContainer(TrussRule):
    code = "CH253"
    name = "truss-typing-container"
    check_kind = TrussCheck.TYPING_CONTAINER
    summary = "Reports `typing.List` / `typing.Dict` in `run_remote` I/O types (truss profile)."
    why = """
truss_chains accepts the built-in generic `list[...]` and `dict[...]` only: it
checks for `types.GenericAlias`, and `typing.List[int]` is not one, so it is
rejected ("use built-in types, not `typing.Dict`").
"""
    fix = "Write `list[int]` and `dict[str, int]` instead of `List[int]` and `Dict[str, int]`."
    bad = """
from typing import List

import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> List[str]:
        return text.split()
"""
    bad_span = (7, 46, 7, 55)
    good = """
import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> list[str]:
        return text.split()
"""


class TrussUnsupportedContainer(TrussRule):
    code = "CH254"
    name = "truss-unsupported-container"
    check_kind = TrussCheck.UNSUPPORTED_CONTAINER
    summary = (
        "Reports containers other than `list` and `dict` (`set`, `Sequence`, `Mapping`, "
        "`deque`, `tuple` outside the return type) in `run_remote` (truss profile)."
    )
    why = """
The only containers truss_chains accepts in the `run_remote` signature are
`list` and `dict`, plus a `tuple` as the (top-level) return type, whose
elements are then checked one by one. `set[str]` or `Sequence[int]`, or a tuple
parameter, are rejected as unsupported I/O types although pydantic could carry
them.
"""
    fix = "Use `list[...]` (or `dict[...]`), or a pydantic model with such fields."
    bad = """
import truss_chains as chains


class Unique(chains.ChainletBase):
    async def run_remote(self, words: set[str]) -> int:
        return len(words)
"""
    bad_span = (5, 39, 5, 47)
    good = """
import truss_chains as chains


class Unique(chains.ChainletBase):
    async def run_remote(self, words: list[str]) -> int:
        return len(set(words))
"""


class TrussBareContainer(TrussRule):
    code = "CH255"
    name = "truss-bare-container"
    check_kind = TrussCheck.BARE_CONTAINER
    summary = (
        "Reports `list`, `dict` or `tuple` without item types in `run_remote` (truss profile)."
    )
    why = """
truss_chains accepts containers only "with annotated item types": a bare `list`,
`dict` or `tuple` in the signature is rejected.
"""
    fix = "Give the item types, e.g. `list[str]` or `dict[str, float]`."
    bad = """
import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, counts: dict) -> int:
        return len(counts)
"""
    bad_span = (5, 40, 5, 44)
    good = """
import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, counts: dict[str, int]) -> int:
        return len(counts)
"""
