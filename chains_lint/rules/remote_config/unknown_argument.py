"""CH702: keyword arguments the config constructors do not have."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.remote_config.calls import ConfigCall
from chains_lint.model.remote_config.constructors import (
    CUSTOM_IMAGE,
    PARAMETERS,
    RUNTIME_ONLY_PARAMETERS,
)
from chains_lint.model.types import StaticValue
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import all_calls
from chains_lint.rules.remote_config.messages import closest

# Names people reach for, from other tools, and the parameter they mean.
_ALIASES: dict[str, str] = {
    "accelerator": "gpu",
    "gpu_type": "gpu",
    "num_gpus": "gpu_count",
    "cpus": "cpu_count",
    "num_cpus": "cpu_count",
    "cpu": "cpu_count",
    "mem": "memory",
    "ram": "memory",
    "concurrency": "predict_concurrency",
    "requirements": "pip_requirements",
    "system_packages": "apt_requirements",
    "secrets": "secret_keys",
    "environment_variables": "env_variables",
    "env": "env_variables",
}


class UnknownConfigArgument(Rule):
    code = "CH702"
    name = "remote-config-unknown-argument"
    summary = (
        "Finds keyword arguments that `RemoteConfig`, `DockerImage`, `Compute`, `Assets`, "
        "`CustomImage` or `ChainletOptions` do not have."
    )
    why = (
        "truss rejects unknown arguments when the chain is imported (`Compute` raises a "
        "`TypeError`, the others a validation error); a misspelt name never takes effect. "
        "truss's `ChainletOptions` has no `run_remote_timeout_sec` nor the server limits "
        "`max_connections`, `idle_timeout_sec`, `head_timeout_sec`, `body_timeout_sec`, "
        "`max_head_bytes` (this runtime's has them): the `truss` profile reports them."
    )
    fix = "Use the parameter the message suggests, or move the argument to the right class."
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="A10G", gpus=2))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 81, 5, 82)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="A10G", gpu_count=2))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, _ in all_calls(ctx):
            runtime_only = RUNTIME_ONLY_PARAMETERS.get(call.symbol, frozenset())
            for name, value in call.call.kwargs:
                if name not in call.parameters:
                    yield self.diagnostic(value.span, self._message(call, name, value))
                elif name in runtime_only and ctx.profile == "truss":
                    yield self.diagnostic(
                        value.span,
                        f"truss's `{call.symbol}` has no parameter `{name}` (only this "
                        "runtime's has); remove it to deploy with truss",
                    )

    def _message(self, call: ConfigCall, name: str, value: StaticValue) -> str:
        message = f"`{call.symbol}` has no parameter `{name}`"
        alias = _alias(name, value)
        if alias in call.parameters:
            return f"{message}; did you mean `{alias}`?"
        home = self._home(call, name)
        if home is not None:
            return f"{message}; it belongs in `{home}`"
        suggestion = closest(name, call.parameters)
        if suggestion is not None:
            return f"{message}; did you mean `{suggestion}`?"
        return f"{message}; its parameters are {', '.join(call.parameters)}"

    def _home(self, call: ConfigCall, name: str) -> str | None:
        """The config class that has ``name`` when ``call`` is the wrong place for it."""
        for symbol, parameters in PARAMETERS.items():
            if symbol != call.symbol and name in parameters and symbol != CUSTOM_IMAGE:
                return f"chains.{symbol}({name}=...)"
        return None


def _alias(name: str, value: StaticValue) -> str | None:
    if name == "gpus":  # gpus=2 is a count, gpus="A10G" a type
        return "gpu_count" if isinstance(value.literal, int) else "gpu"
    return _ALIASES.get(name)
