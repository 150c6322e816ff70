"""CH712 and CH713: ``Compute(instance_type=...)`` and the fields it overrides."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.model import sdk
from chains_lint.model.accelerators import accelerator, accelerator_ignoring_case
from chains_lint.model.remote_config.quantities import parse_instance_type
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import (
    calls_of,
    is_unset,
    literal_arguments,
    written,
)
from chains_lint.rules.remote_config.messages import shown


class InvalidInstanceType(Rule):
    code = "CH712"
    name = "invalid-instance-type"
    severity = Severity.WARNING
    summary = "Finds `Compute(instance_type=...)` values that do not look like an instance type."
    why = (
        'An instance type names an exact machine: "<vCPUs>x<GiB>" for CPU only ("4x16"), '
        '"<GPU>:<vCPUs>x<GiB>" ("L4:4x16", "H100:8x80") or '
        '"<GPU>:<count>x<vCPUs>x<GiB>". Anything else is not a machine the platform or '
        "the build knows."
    )
    fix = (
        'Write an instance type such as "L4:4x16", or use `gpu`, `gpu_count`, `cpu_count` '
        "and `memory` instead."
    )
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(instance_type="H100:8"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 78, 5, 86)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(instance_type="H100:8x80"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for instance in literal_arguments(ctx, sdk.COMPUTE, "instance_type"):
            if is_unset(instance.located):
                continue
            literal = instance.literal
            if isinstance(literal, str) and parse_instance_type(literal) is not None:
                continue
            yield self.diagnostic(instance.span, _instance_type_message(literal))


def _instance_type_message(literal: object) -> str:
    forms = '"<vCPUs>x<GiB>", "<GPU>:<vCPUs>x<GiB>" or "<GPU>:<count>x<vCPUs>x<GiB>"'
    if not isinstance(literal, str):
        return f'`instance_type` must be a string such as "L4:4x16", got `{literal!r}`'
    head, sep, rest = literal.partition(":")
    if sep and rest.strip().isdigit() and accelerator(head):
        return (
            f'`instance_type="{literal}"` looks like a GPU count; write '
            f'`gpu="{head}", gpu_count={rest.strip()}`, or a full instance type such as '
            f'"{head}:8x80"'
        )
    if sep and accelerator(head) is None:
        found = accelerator_ignoring_case(head)
        if found is not None:
            return (
                f'`instance_type="{literal}"` names an unknown GPU `{head}`; names are '
                f'case-sensitive: write `"{found.name}:{rest}"`'
            )
        return f'`instance_type="{literal}"` names an unknown GPU `{head}`; use {forms}'
    return f'`instance_type="{literal}"` is not an instance type; use {forms}, e.g. "L4:4x16"'


class InstanceTypeOverridesResources(Rule):
    code = "CH713"
    name = "instance-type-overrides-resources"
    severity = Severity.WARNING
    summary = (
        "Finds `cpu_count`, `memory`, `gpu` or `gpu_count` given together with "
        "`instance_type`, which overrides them."
    )
    why = (
        "When `instance_type` is set the other resource fields are ignored, so what they say "
        "is not what the chainlet gets."
    )
    fix = "Remove the ignored fields, or remove `instance_type`."
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        compute=chains.Compute(instance_type="L4:4x16", memory="32Gi"),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (6, 64, 6, 70)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(instance_type="L4:4x16"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, arguments in calls_of(ctx, sdk.COMPUTE):
            instance = arguments.get("instance_type")
            if instance is None or is_unset(instance):
                continue
            instance_type = shown(written(call, "instance_type"))
            for name in ("cpu_count", "memory", "gpu", "gpu_count"):
                if name in arguments:
                    yield self.diagnostic(
                        written(call, name).span,
                        f"`{name}` is ignored because `instance_type={instance_type}` is set; "
                        f"remove `{name}` or `instance_type`",
                    )
