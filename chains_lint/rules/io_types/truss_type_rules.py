"""CH250, CH251, CH256: annotations and types truss accepts only inside a pydantic model."""

from __future__ import annotations

from chains_lint.rules.io_types.truss_issues import TrussCheck
from chains_lint.rules.io_types.truss_rule import TrussRule


class TrussStringAnnotation(TrussRule):
    code = "CH250"
    name = "truss-string-annotation"
    check_kind = TrussCheck.STRING
    summary = (
        "Reports string annotations in `run_remote`, including all annotations of a file "
        "with `from __future__ import annotations` (truss profile)."
    )
    why = """
truss_chains reads the annotations of `run_remote` as objects when the class is
defined and does not evaluate strings: a quoted annotation, or any annotation in
a file with `from __future__ import annotations`, is rejected ("A string-valued
type annotation was found").
"""
    fix = """
Write annotations without quotes, define the types used above the chainlet, and
remove `from __future__ import annotations` from chain files.
"""
    bad = """
from __future__ import annotations

import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""
    bad_span = (7, 15, 7, 25)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""


class TrussUnionType(TrussRule):
    code = "CH251"
    name = "truss-union-type"
    check_kind = TrussCheck.UNION
    summary = (
        "Reports `Optional[...]`, `Union[...]` and `X | Y` as `run_remote` I/O types "
        "(truss profile)."
    )
    why = """
truss_chains accepts only simple types, `list`/`dict` of them and pydantic
models in the `run_remote` signature; a union (including `Optional[X]` and
`X | None`) is rejected as an unsupported I/O type. Inside a pydantic model,
optional fields are fine.
"""
    fix = """
Give an optional parameter a default value of its own type instead
(`limit: int = 10`), or move optional and alternative values into fields of
a pydantic model.
"""
    bad = """
from typing import Optional

import truss_chains as chains


class Search(chains.ChainletBase):
    async def run_remote(self, query: str, limit: Optional[int] = None) -> list[str]:
        return [query] * (limit or 1)
"""
    bad_span = (7, 51, 7, 64)
    good = """
import truss_chains as chains


class Search(chains.ChainletBase):
    async def run_remote(self, query: str, limit: int = 1) -> list[str]:
        return [query] * limit
"""


class TrussTypeNeedsModel(TrussRule):
    code = "CH256"
    name = "truss-type-needs-model"
    check_kind = TrussCheck.NEEDS_MODEL
    summary = (
        "Reports enums, `Literal`, `Annotated`, dataclasses, `datetime`, `UUID` and other "
        "pydantic-supported types used directly in `run_remote` (truss profile)."
    )
    why = """
truss_chains accepts directly only `int`, `float`, `complex`, `bool`, `str`,
`bytes`, `None`, pydantic models and `list`/`dict` of these. An enum, a
`Literal`, a dataclass or a `datetime` are fine as fields of a pydantic model,
but rejected as a parameter or return type of `run_remote`.
"""
    fix = "Wrap the value in a pydantic model, e.g. `class Request(BaseModel): mode: Mode`."
    bad = """
import enum

import truss_chains as chains


class Mode(str, enum.Enum):
    FAST = "fast"
    GOOD = "good"


class Render(chains.ChainletBase):
    async def run_remote(self, mode: Mode) -> str:
        return mode.value
"""
    bad_span = (12, 38, 12, 42)
    good = """
import enum

import pydantic

import truss_chains as chains


class Mode(str, enum.Enum):
    FAST = "fast"
    GOOD = "good"


class RenderRequest(pydantic.BaseModel):
    mode: Mode


class Render(chains.ChainletBase):
    async def run_remote(self, request: RenderRequest) -> str:
        return request.mode.value
"""
