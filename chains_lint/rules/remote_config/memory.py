"""CH706 and CH707: ``Compute(memory=...)`` quantities."""

from __future__ import annotations

import re
from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.model import sdk
from chains_lint.model.remote_config.quantities import parse_memory
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import arguments_named, literal_arguments

# Below this a chainlet cannot even start its server; most likely a unit is missing.
_SMALL_MEMORY_BYTES = 128 * 2**20

_LOOSE_MEMORY = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*")
_SMALL_MEMORY = re.compile(r"(\d+(?:\.\d*)?|\.\d+)([A-Za-z]*)")
_UNIT_FIXES = {"k": "Ki", "m": "Mi", "g": "Gi", "t": "Ti", "p": "Pi", "e": "Ei"}


class InvalidMemory(Rule):
    code = "CH706"
    name = "invalid-memory"
    summary = "Finds `Compute(memory=...)` values that are not a Kubernetes memory quantity."
    why = (
        'Memory is a string such as "2Gi", "512Mi" or "1G" (or a plain number of '
        'bytes); truss rejects other units such as "16GB" when it generates the deployment.'
    )
    fix = 'Use a binary unit (Ki, Mi, Gi, Ti) or a decimal one (k, M, G, T): `memory="16Gi"`.'
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(memory="16GB"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 71, 5, 77)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(memory="16Gi"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for memory in literal_arguments(ctx, sdk.COMPUTE, "memory"):
            literal = memory.literal
            if not isinstance(literal, str):
                yield self.diagnostic(
                    memory.span,
                    f'`memory` must be a string such as "2Gi", got `{literal!r}`; '
                    f'write `memory="{literal}Gi"` if you meant GiB',
                )
            elif parse_memory(literal) is None:
                yield self.diagnostic(memory.span, _memory_message(literal))


def _memory_message(literal: str) -> str:
    units = "Ki, Mi, Gi, Ti (binary) or k, M, G, T (decimal)"
    match = _LOOSE_MEMORY.fullmatch(literal)
    if match is not None:
        unit = match.group(2).lower().removesuffix("ib").removesuffix("b").removesuffix("i")
        fixed = _UNIT_FIXES.get(unit)
        if fixed is not None:
            return (
                f'`memory="{literal}"` is not a valid quantity; write '
                f'`memory="{match.group(1)}{fixed}"` (units: {units})'
            )
    return f'`memory="{literal}"` is not a valid quantity such as "2Gi"; units: {units}'


class MemoryTooSmall(Rule):
    code = "CH707"
    name = "memory-too-small"
    severity = Severity.WARNING
    summary = "Finds `Compute(memory=...)` values below 128Mi, usually a missing unit."
    why = (
        'A plain number is a count of bytes: `memory="16"` asks for 16 bytes, and the '
        "chainlet's server is killed as soon as it starts."
    )
    fix = 'Add the unit you meant: `memory="16Gi"`.'
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(memory="16"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 71, 5, 75)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(memory="16Gi"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for memory in arguments_named(ctx, sdk.COMPUTE, "memory"):
            literal = memory.literal
            if not isinstance(literal, str):
                continue
            size = parse_memory(literal)
            if size is None or size >= _SMALL_MEMORY_BYTES:
                continue
            yield self.diagnostic(
                memory.span,
                f'`memory="{literal}"` is only {size} bytes, too little to run a chainlet; '
                f"{_small_memory_hint(literal, size)}",
            )


# Each unit and the next larger one of its family (binary or decimal).
_LARGER_UNIT = {"k": "M", "M": "G", "G": "T", "Ki": "Mi", "Mi": "Gi", "Gi": "Ti"}


def _small_memory_hint(literal: str, size: int) -> str:
    """A correction that differs from ``literal`` and is large enough, else the minimum."""
    match = _SMALL_MEMORY.fullmatch(literal)
    suggestion = None
    if match is not None:
        number, unit = match.group(1), match.group(2)
        if not unit:  # a count of bytes: the unit is missing
            suggestion = f"{number}{'Gi' if size <= 256 else 'Mi'}"
        elif unit in _LARGER_UNIT and number.isdigit():  # e.g. "64Mi" for 64Gi
            suggestion = f"{number}{_LARGER_UNIT[unit]}"
    if suggestion is not None and suggestion != literal:
        larger = parse_memory(suggestion)
        if larger is not None and larger >= _SMALL_MEMORY_BYTES:
            return f'did you mean `"{suggestion}"`?'
    return 'give at least `"128Mi"`'
