"""CH708-CH710: whole-number ``Compute`` fields (CPUs, GPUs, concurrency)."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model import sdk
from chains_lint.model.remote_config.quantities import integer_value
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import literal_arguments
from chains_lint.rules.remote_config.messages import CPU_ONLY_HINT


def _count_problem(literal: object, name: str) -> str | None:
    """Why ``literal`` is not a positive whole number, or None when it is one."""
    if isinstance(literal, str) and literal.strip().isdigit():
        return f"`{name}` must be an int, not a string; write `{name}={literal.strip()}`"
    number = integer_value(literal)
    if number is None:
        if isinstance(literal, float):
            return f"`{name}={literal}` must be a whole number; truss rejects fractions"
        return f"`{name}` must be a positive int, got `{literal!r}`"
    if number <= 0:
        return f"`{name}={number}` must be at least 1"
    return None


def _check_count(rule: Rule, ctx: RuleContext, name: str, extra: str) -> Iterator[Diagnostic]:
    for count in literal_arguments(ctx, sdk.COMPUTE, name):
        problem = _count_problem(count.literal, name)
        if problem is not None:
            yield rule.diagnostic(count.span, problem + extra)


class InvalidCpuCount(Rule):
    code = "CH708"
    name = "invalid-cpu-count"
    summary = "Finds `Compute(cpu_count=...)` values that are not a positive whole number."
    why = (
        "truss takes whole CPUs and rejects fractions such as 0.5; zero or negative CPUs "
        "cannot be scheduled."
    )
    fix = "Use a whole number of at least 1: `cpu_count=2`."
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=0.5))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 74, 5, 77)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=1))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        yield from _check_count(self, ctx, "cpu_count", "")


class InvalidGpuCount(Rule):
    code = "CH709"
    name = "invalid-gpu-count"
    summary = "Finds `Compute(gpu_count=...)` values that are not a positive whole number."
    why = (
        "A GPU type with zero (or a negative number of) GPUs is contradictory: the chainlet "
        "would be scheduled on a GPU machine without getting a GPU."
    )
    fix = "Use at least 1, or leave out `gpu` and `gpu_count` for a CPU-only chainlet."
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="T4", gpu_count=0))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 84, 5, 85)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="T4", gpu_count=1))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        yield from _check_count(self, ctx, "gpu_count", f" ({CPU_ONLY_HINT})")


class InvalidPredictConcurrency(Rule):
    code = "CH710"
    name = "invalid-predict-concurrency"
    summary = (
        "Finds `Compute(predict_concurrency=...)` values that are neither a positive whole "
        'number nor "cpu_count".'
    )
    why = (
        'truss asserts the value is an int unless it is exactly "cpu_count"; a '
        "concurrency of 0 never serves a request."
    )
    fix = 'Use a whole number of at least 1, or `predict_concurrency="cpu_count"`.'
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(predict_concurrency="cpus"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 84, 5, 90)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        compute=chains.Compute(cpu_count=4, predict_concurrency="cpu_count"),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for concurrency in literal_arguments(ctx, sdk.COMPUTE, "predict_concurrency"):
            literal = concurrency.literal
            if literal == "cpu_count":
                continue
            if isinstance(literal, str) and not literal.strip().isdigit():
                yield self.diagnostic(
                    concurrency.span,
                    f'`predict_concurrency="{literal}"` must be an int or exactly '
                    '"cpu_count"; write `predict_concurrency="cpu_count"` or a number',
                )
                continue
            problem = _count_problem(literal, "predict_concurrency")
            if problem is not None:
                yield self.diagnostic(concurrency.span, problem)
