"""CH722: settings of the strict pydantic config classes given a value of the wrong type."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model import sdk
from chains_lint.model.remote_config.calls import ConfigCall, Located
from chains_lint.model.remote_config.constructors import (
    CHAINLET_OPTIONS,
    CUSTOM_IMAGE,
    SERVER_LIMITS,
)
from chains_lint.model.remote_config.quantities import at_least
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import (
    argument,
    calls_of,
    located_span,
    written,
)


class ConfigValueType(Rule):
    code = "CH722"
    name = "config-value-type"
    summary = (
        "Finds `ChainletOptions`, `CustomImage` and `DockerImage` settings with a value of "
        "the wrong type (a number for a string, an int for a bool...)."
    )
    why = (
        "These classes are strict pydantic models: `enable_debug_logs=1`, "
        '`env_variables={"N": 1}` or `streaming_read_timeout=1.5` fail when the chain is '
        "imported."
    )
    fix = 'Use the type the message names, e.g. `env_variables={"N": "1"}`.'
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        options=chains.ChainletOptions(env_variables={"WORKERS": 4}),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (6, 54, 6, 68)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        options=chains.ChainletOptions(env_variables={"WORKERS": "4"}),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, arguments in calls_of(ctx, CHAINLET_OPTIONS):
            for name, located in arguments.items():
                problem = _option_problem(name, located)
                if problem is not None:
                    yield self.diagnostic(located_span(written(call, name), located), problem)
        for call, arguments in calls_of(ctx, CUSTOM_IMAGE):
            if "image" not in arguments:
                yield self.diagnostic(
                    call.value.span,
                    "`CustomImage` needs `image`; write "
                    '`chains.CustomImage(image="python:3.11-slim")`',
                )
            for name in ("image", "python_executable_path"):
                yield from self._check_string(call, arguments, name, required=name == "image")
        for call, arguments in calls_of(ctx, sdk.DOCKER_IMAGE):
            yield from self._check_string(call, arguments, "truss_server_version_override")

    def _check_string(
        self, call: ConfigCall, arguments: dict[str, Located], name: str, required: bool = False
    ) -> Iterator[Diagnostic]:
        given = argument(call, arguments, name)
        if given is None:
            return
        problem = _string_problem(name, given.located, required)
        if problem is not None:
            yield self.diagnostic(given.span, problem)


def _string_problem(name: str, located: Located, required: bool) -> str | None:
    value = located.value
    if not value.is_literal or (isinstance(value.literal, str) and value.literal.strip()):
        return None
    if value.literal is None and not required:
        return None
    if isinstance(value.literal, str):
        return f"`{name}` is empty; give a value or leave it out"
    return f'`{name}` must be a string, got `{value.literal!r}`; write `{name}="{value.literal}"`'


def _flag_problem(name: str, literal: object) -> str | None:
    if isinstance(literal, bool):
        return None
    return f"`{name}` must be `True` or `False`, got `{literal!r}`"


def _timeout_problem(name: str, literal: object) -> str | None:
    if isinstance(literal, int) and not isinstance(literal, bool) and literal > 0:
        return None
    return f"`{name}` must be a positive int of seconds, got `{literal!r}`"


def _seconds_problem(name: str, literal: object) -> str | None:
    if literal is None:
        return None
    if isinstance(literal, int | float) and not isinstance(literal, bool) and literal > 0:
        return None
    return f"`{name}` must be a positive number of seconds or `None`, got `{literal!r}`"


def _limit_problem(minimum: int | float) -> Callable[[str, object], str | None]:
    """The check of a server limit: None, or a number >= ``minimum`` (whole when it is)."""

    def problem(name: str, literal: object) -> str | None:
        if literal is None or at_least(literal, minimum) is not None:
            return None
        kind = "a whole number" if isinstance(minimum, int) else "a number of seconds"
        return f"`{name}` must be {kind} >= {minimum:g} or `None`, got `{literal!r}`"

    return problem


def _env_variables_problem(name: str, literal: object) -> str | None:
    if not isinstance(literal, dict):
        return f"`{name}` must be a dict of strings, got `{literal!r}`"
    for key, item in literal.items():
        if not isinstance(item, str):
            return f'`{name}[{key!r}]` must be a string, got `{item!r}`; write `{key!r}: "{item}"`'
    return None


# The ChainletOptions settings with a type to check, and their check.
_OPTION_PROBLEMS: dict[str, Callable[[str, object], str | None]] = {
    "enable_b10_tracing": _flag_problem,
    "enable_debug_logs": _flag_problem,
    "streaming_read_timeout": _timeout_problem,
    "run_remote_timeout_sec": _seconds_problem,
    **{name: _limit_problem(minimum) for name, minimum in SERVER_LIMITS.items()},
    "env_variables": _env_variables_problem,
}


def _option_problem(name: str, located: Located) -> str | None:
    problem = _OPTION_PROBLEMS.get(name)
    if problem is None or not located.value.is_literal:
        return None
    return problem(name, located.value.literal)
