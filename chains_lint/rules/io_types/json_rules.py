"""CH201-CH205 (default profile): I/O types that pydantic cannot carry as JSON."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.io_types.endpoint_types import EndpointTypes, endpoint_types
from chains_lint.rules.io_types.sites import IoSite, unquoted
from chains_lint.rules.json_safety import Finding, Problem
from chains_lint.rules.run_remote.endpoint_rule import report
from chains_lint.rules.undefined_names import undefined_annotations


class _JsonSafetyRule(Rule):
    """Reports the findings of one kind of problem for every I/O site."""

    problem: ClassVar[Problem]

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        seen: set[tuple[Span, str]] = set()
        for types in endpoint_types(ctx):
            for diagnostic in self._endpoint(types):
                key = (diagnostic.span, diagnostic.message)
                if key not in seen:
                    seen.add(key)
                    yield diagnostic

    def _endpoint(self, types: EndpointTypes) -> Iterator[Diagnostic]:
        for site, classification in types.sites:
            for finding in classification.findings:
                if finding.problem is self.problem:
                    message = _message(site, finding)
                    span = finding.expr.span
                    yield report(self, types.endpoint, span, message, _related(finding))


def _message(site: IoSite, finding: Finding) -> str:
    text = site.describe(finding.expr)
    if finding.via:
        path = " → ".join(step.label for step in finding.via)
        text += f" (through {path}: `{finding.culprit.text}`)"
    return f"{text}: {finding.reason}; {finding.fix}"


def _related(finding: Finding) -> tuple[Span, ...]:
    if not finding.via:
        return ()
    return (*(step.span for step in finding.via), finding.culprit.span)


class IoTypeNotJson(_JsonSafetyRule):
    code = "CH201"
    name = "io-type-not-json"
    problem = Problem.NOT_JSON
    summary = (
        "Reports a `run_remote` parameter, return or stream item type that pydantic cannot "
        "carry as JSON (`Any`, numpy arrays, plain classes, callables...), also inside "
        "pydantic models."
    )
    why = """
Arguments and results of `run_remote` cross the network as JSON, through a
pydantic model built from the signature. A type pydantic cannot write as JSON
and read back (a plain class, a numpy array, `Any` holding such a value, an
iterator, a secret that serialises as `**********`) fails when the chain runs,
or silently loses data. The message says which part of the annotation, or
which field of which model, is the problem.
"""
    fix = """
Use JSON types: `str`, `int`, `float`, `bool`, lists, tuples, dicts with
string keys, enums and pydantic models defined in your code. Send arrays as
`list[float]` or base64 strings.
"""
    bad = """
import numpy as np
import pydantic

import truss_chains as chains


class Query(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
    embedding: np.ndarray


class Search(chains.ChainletBase):
    async def run_remote(self, query: Query) -> list[str]:
        return []
"""
    bad_span = (13, 39, 13, 44)
    good = """
import pydantic

import truss_chains as chains


class Query(pydantic.BaseModel):
    embedding: list[float]


class Search(chains.ChainletBase):
    async def run_remote(self, query: Query) -> list[str]:
        return []
"""


class IoTypeUnverifiable(_JsonSafetyRule):
    code = "CH202"
    name = "io-type-unverifiable"
    severity = Severity.WARNING
    problem = Problem.UNKNOWN
    summary = (
        "Reports a `run_remote` I/O type whose definition the linter cannot see (a class "
        "from a third-party package, an unresolved name), so it cannot check it is JSON-safe."
    )
    why = """
The linter checks only types defined in the analysed files and the types it
knows. A class imported from an installed package may or may not be a pydantic
model; if it is not, the chain fails when it sends or receives the value.
"""
    fix = """
Declare the data as a pydantic model in your own code (copying the fields you
need), or, when the type is a pydantic model, suppress the warning with
`# noqa: CH202`.
"""
    bad = """
import transformers

import truss_chains as chains


class Generate(chains.ChainletBase):
    async def run_remote(self, config: transformers.GenerationConfig) -> str:
        return ""
"""
    bad_span = (7, 40, 7, 69)
    good = """
import pydantic

import truss_chains as chains


class GenerationConfig(pydantic.BaseModel):
    max_new_tokens: int = 64
    temperature: float = 1.0


class Generate(chains.ChainletBase):
    async def run_remote(self, config: GenerationConfig) -> str:
        return ""
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        # Under the truss profile, `...` and undefined names are CH260 errors instead.
        covered = (
            {span for span, _ in undefined_annotations(ctx)} if ctx.profile == "truss" else set()
        )
        return (d for d in super().check(ctx) if d.span not in covered)


class IoBytesInModel(_JsonSafetyRule):
    code = "CH203"
    name = "io-bytes-in-model"
    severity = Severity.WARNING
    problem = Problem.BYTES
    summary = (
        "Reports a `bytes` field inside a pydantic model used by `run_remote`, which pydantic "
        "writes to JSON as UTF-8 text."
    )
    why = """
`bytes` directly in the `run_remote` signature travels as base64. Inside your
own pydantic model, the model's config decides, and pydantic's default writes
bytes as UTF-8 text: binary data (images, audio) fails to serialise.
"""
    fix = """
Annotate the field as `pydantic.Base64Bytes`, or set
`model_config = pydantic.ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")`
on the model.
"""
    bad = """
import pydantic

import truss_chains as chains


class Upload(pydantic.BaseModel):
    name: str
    data: bytes


class Store(chains.ChainletBase):
    async def run_remote(self, upload: Upload) -> int:
        return len(upload.data)
"""
    bad_span = (12, 40, 12, 46)
    good = """
import pydantic

import truss_chains as chains


class Upload(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(ser_json_bytes="base64", val_json_bytes="base64")
    name: str
    data: bytes


class Store(chains.ChainletBase):
    async def run_remote(self, upload: Upload) -> int:
        return len(upload.data)
"""


class IoTypeUntyped(_JsonSafetyRule):
    code = "CH204"
    name = "io-type-untyped"
    severity = Severity.WARNING
    problem = Problem.UNTYPED
    summary = (
        "Reports a container without item types (`list`, `dict`, `tuple`...) or a stream "
        "type without item type in a `run_remote` signature."
    )
    why = """
pydantic accepts a bare `list` or `dict` with anything in it, so nothing checks
that the items can be written as JSON: a result holding, say, a numpy array
fails only at run time. Callers and generated clients also lose the item types.
"""
    fix = "Give the item types, e.g. `list[str]`, `dict[str, float]`, `AsyncIterator[str]`."
    bad = """
import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> list:
        return text.split()
"""
    bad_span = (5, 46, 5, 50)
    good = """
import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> list[str]:
        return text.split()
"""

    def _endpoint(self, types: EndpointTypes) -> Iterator[Diagnostic]:
        yield from super()._endpoint(types)
        stream = types.untyped_stream
        if stream is not None:
            yield report(
                self, types.endpoint, stream.span,
                f"`run_remote` streams `{stream.text}` without an item type, so nothing checks "
                f"what it yields; give the item type, e.g. `{unquoted(stream).text}[str]`",
            )


class IoClassNotTopLevel(_JsonSafetyRule):
    code = "CH205"
    name = "io-class-not-top-level"
    problem = Problem.LOCAL_CLASS
    summary = (
        "Reports a pydantic model (or enum, dataclass...) used by `run_remote` that is "
        "defined inside a function or class instead of at module top level."
    )
    why = """
The server generated for a chainlet imports the types of `run_remote` from your
module by name, and callers' stubs do the same. A class defined inside a
function cannot be imported at all, and one nested in a class is easily
shadowed or rebuilt on each call.
"""
    fix = "Move the class to module top level."
    bad = """
import pydantic

import truss_chains as chains


class Summarize(chains.ChainletBase):
    class Request(pydantic.BaseModel):
        text: str

    async def run_remote(self, request: "Summarize.Request") -> str:
        return request.text[:100]
"""
    bad_span = (10, 41, 10, 60)
    good = """
import pydantic

import truss_chains as chains


class Request(pydantic.BaseModel):
    text: str


class Summarize(chains.ChainletBase):
    async def run_remote(self, request: Request) -> str:
        return request.text[:100]
"""
