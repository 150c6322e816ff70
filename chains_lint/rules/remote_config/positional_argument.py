"""CH703: positional arguments the config constructors do not take."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.namespace import Namespace
from chains_lint.model.remote_config.calls import ConfigCall, call_symbol
from chains_lint.model.remote_config.constructors import KEYWORD_ONLY, SECTIONS
from chains_lint.model.types import StaticValue
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import all_calls
from chains_lint.rules.remote_config.messages import shown


class PositionalConfigArgument(Rule):
    code = "CH703"
    name = "remote-config-positional-argument"
    summary = (
        "Finds positional arguments to `RemoteConfig`, `DockerImage`, `CustomImage` or "
        "`ChainletOptions`, and positional arguments that `Compute` or `Assets` do not take "
        "(too many, or also given by keyword)."
    )
    why = (
        "`RemoteConfig`, `DockerImage`, `CustomImage` and `ChainletOptions` are pydantic "
        "models: they take keyword arguments only and fail with a `TypeError` otherwise."
    )
    fix = "Name every argument, e.g. `chains.RemoteConfig(compute=chains.Compute(...))`."
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(chains.DockerImage(pip_requirements=["numpy"]))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 41, 5, 87)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=["numpy"]),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for call, _ in all_calls(ctx):
            args = call.call.args
            if call.symbol in KEYWORD_ONLY:
                for index, value in enumerate(args):
                    name = self._likely_name(namespace, call, index, value)
                    yield self.diagnostic(
                        value.span,
                        f"`{call.symbol}` takes keyword arguments only; "
                        f"write `{name}={shown(value)}`",
                    )
                continue
            for value in args[len(call.parameters) :]:
                yield self.diagnostic(
                    value.span,
                    f"`{call.symbol}` takes at most {len(call.parameters)} positional "
                    f"arguments ({', '.join(call.parameters)}); remove this one or name it",
                )
            by_position = call.parameters[: len(args)]
            for name, value in call.call.kwargs:
                if name in by_position:
                    yield self.diagnostic(
                        value.span,
                        f"`{name}` of `{call.symbol}` is given both by position and by keyword; "
                        "remove one of them",
                    )

    def _likely_name(
        self, namespace: Namespace, call: ConfigCall, index: int, value: StaticValue
    ) -> str:
        symbol = call_symbol(namespace, value)
        for field, expected in SECTIONS.items():
            if symbol == expected:
                return field
        if index < len(call.parameters):
            return call.parameters[index]
        return "<name>"
