"""CH705 and CH711: the GPU a chainlet asks for with ``Compute(gpu=..., gpu_count=...)``."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.model import sdk
from chains_lint.model.accelerators import (
    PUBLIC_ACCELERATOR_NAMES,
    accelerator,
    accelerator_ignoring_case,
)
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import (
    calls_of,
    is_unset,
    literal_arguments,
    written,
)
from chains_lint.rules.remote_config.messages import CPU_ONLY_HINT, closest, shown


class UnknownGpu(Rule):
    code = "CH705"
    name = "unknown-gpu"
    summary = "Finds `Compute(gpu=...)` values that are not exactly one known GPU name."
    why = (
        "truss looks the name up in its `Accelerator` enum, case-sensitively, and fails on "
        'anything else; `"H100:2"` is not accepted either (the count goes in `gpu_count`).'
    )
    fix = (
        "Use one of T4, L4, A10G, V100, A100, A100_40GB, H100, H100_40GB, H200, B200, L40S, "
        "RTX_PRO_6000, B300, GB300, spelt exactly, and `gpu_count` for several GPUs."
    )
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="H100:2"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 68, 5, 76)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="H100", gpu_count=2))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for gpu in literal_arguments(ctx, sdk.COMPUTE, "gpu"):
            literal = gpu.literal
            if literal in (None, "") or (isinstance(literal, str) and accelerator(literal)):
                continue  # truss treats gpu="" as no GPU
            yield self.diagnostic(gpu.span, gpu_message(literal))


def gpu_message(literal: object) -> str:
    known = ", ".join(PUBLIC_ACCELERATOR_NAMES)
    if not isinstance(literal, str):
        return f'`gpu` must be a GPU name such as "A10G", got `{literal!r}`; known GPUs: {known}'
    if not literal.strip():
        return f'`gpu="{literal}"` is blank; {CPU_ONLY_HINT}, or name a GPU such as "A10G"'
    head, sep, count = literal.partition(":")
    found = accelerator(head.strip()) or accelerator_ignoring_case(head)
    if sep and found is not None and count.strip().isdigit():
        return (
            f'`gpu="{literal}"` names a GPU and a count; write '
            f'`gpu="{found.name}", gpu_count={int(count)}`'
        )
    found = accelerator_ignoring_case(literal)
    if found is not None:
        return (
            f'`gpu="{literal}"` is not a known GPU; names are case-sensitive: '
            f'write `gpu="{found.name}"`'
        )
    upper = {name.upper(): name for name in PUBLIC_ACCELERATOR_NAMES}
    suggestion = closest(literal.upper().replace("-", "_"), list(upper))
    hint = f'did you mean `"{upper[suggestion]}"`?' if suggestion else f"known GPUs: {known}"
    return f'`gpu="{literal}"` is not a known GPU; {hint}'


class GpuCountWithoutGpu(Rule):
    code = "CH711"
    name = "gpu-count-without-gpu"
    severity = Severity.WARNING
    summary = "Finds `Compute(gpu_count=...)` without a `gpu`."
    why = "Without a GPU type no GPU is allocated: the count is silently ignored."
    fix = 'Name the GPU type (`gpu="A10G"`) or remove `gpu_count`.'
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu_count=2))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 74, 5, 75)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="A10G", gpu_count=2))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, arguments in calls_of(ctx, sdk.COMPUTE):
            if "gpu_count" not in arguments or "instance_type" in arguments:
                continue
            gpu = arguments.get("gpu")
            if gpu is not None and not is_unset(gpu):
                continue
            count = written(call, "gpu_count")
            yield self.diagnostic(
                count.span,
                f"`gpu_count={shown(count)}` has no effect without `gpu`; add the GPU type, "
                'e.g. `gpu="A10G"`, or remove `gpu_count`',
            )
