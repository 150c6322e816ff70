"""CH701-CH749: ``remote_config = RemoteConfig(...)``: its structure, values and names."""

from __future__ import annotations

import difflib
import os.path
import re
from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.model import sdk
from chains_lint.model.accelerators import (
    PUBLIC_ACCELERATOR_NAMES,
    accelerator,
    accelerator_ignoring_case,
)
from chains_lint.model.namespace import Namespace
from chains_lint.model.remote_config import (
    BASETEN_IMAGES,
    CHAINLET_OPTIONS,
    CUSTOM_IMAGE,
    DIR_FIELDS,
    FILE_FIELDS,
    KEYWORD_ONLY,
    MEMORY_UNITS,
    PARAMETERS,
    SECTIONS,
    ConfigCall,
    Located,
    abs_path_argument,
    baseten_image_member,
    call_symbol,
    config_calls,
    integer_value,
    is_unreadable,
    parse_instance_type,
    parse_memory,
    resolve,
    resolve_path,
)
from chains_lint.model.types import Chainlet, StaticValue
from chains_lint.rules.base import Example, Rule, RuleContext

_DISPLAY_NAME = re.compile(r"[A-Za-z0-9_-]+")
_MAX_SHOWN = 40
# Below this a chainlet cannot even start its server; most likely a unit is missing.
_SMALL_MEMORY_BYTES = 128 * 2**20

# Fields that take a list, per constructor: (field, whether items must be strings).
_LIST_FIELDS: dict[str, tuple[tuple[str, bool], ...]] = {
    sdk.REMOTE_CONFIG: (("build_commands", True),),
    sdk.DOCKER_IMAGE: (
        ("pip_requirements", True),
        ("apt_requirements", True),
        ("external_package_dirs", False),
    ),
    sdk.ASSETS: (
        ("secret_keys", True),
        ("cached", False),
        ("external_data", False),
        ("weights", False),
    ),
}
# Entries that end up as lines of the generated Dockerfile.
_DOCKERFILE_FIELDS: dict[str, tuple[str, ...]] = {
    sdk.REMOTE_CONFIG: ("build_commands",),
    sdk.DOCKER_IMAGE: ("pip_requirements", "apt_requirements"),
}
_CPU_ONLY_HINT = "leave out `gpu` for a CPU-only chainlet"


# ---------------------------------------------------------------------------
# Helpers shared by the rules
# ---------------------------------------------------------------------------


def _own_configs(ctx: RuleContext) -> Iterator[tuple[Chainlet, StaticValue]]:
    """Chainlets of the linted module that define ``remote_config`` themselves."""
    for chainlet in ctx.chainlets:
        config = chainlet.remote_config
        if config.value is not None and config.owner == chainlet.qualified:
            yield chainlet, config.value


def _calls(ctx: RuleContext) -> Iterator[ConfigCall]:
    for chainlet, value in _own_configs(ctx):
        yield from config_calls(ctx.model.namespace, chainlet.module, value)


def _arguments(ctx: RuleContext, symbol: str) -> Iterator[tuple[ConfigCall, dict[str, Located]]]:
    """Each ``symbol(...)`` call with its known arguments, resolved, by parameter name."""
    for call in _calls(ctx):
        if call.symbol != symbol:
            continue
        arguments = {
            name: resolve(ctx.model.namespace, call.module, value)
            for name, value in call.arguments()
            if name in call.parameters
        }
        yield call, arguments


def _shown(value: StaticValue) -> str:
    text = " ".join(value.text.split())
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def _located_span(written: StaticValue, located: Located) -> Span:
    """Where to point for a value: the literal itself when it is in the same file."""
    if located.value.span.path == written.span.path:
        return located.value.span
    return written.span


def _is_unset(located: Located) -> bool:
    """``None``, or ``""`` which truss treats the same for gpu and instance_type."""
    return located.value.is_literal and located.value.literal in (None, "")


def _written(call: ConfigCall, name: str) -> StaticValue:
    value = call.argument(name)
    assert value is not None
    return value


def _closest(word: str, choices: tuple[str, ...] | list[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def _constructor(symbol: str) -> str:
    return f"chains.{symbol}(...)"


# ---------------------------------------------------------------------------
# Structure
# ---------------------------------------------------------------------------


class RemoteConfigWrongType(Rule):
    code = "CH701"
    name = "remote-config-wrong-type"
    summary = (
        "Finds `remote_config`, or one of its parts (`docker_image`, `compute`, `assets`, "
        "`options`, `base_image`), set to a value of the wrong kind."
    )
    why = (
        "truss checks that `remote_config` is a `RemoteConfig` and that each part is built "
        "with its own class; a dict, `None` or the wrong class fails when the chain is "
        "imported, and the build cannot read the settings."
    )
    fix = (
        "Build each part with its class: `chains.RemoteConfig(docker_image=chains.DockerImage"
        "(...), compute=chains.Compute(...), assets=chains.Assets(...))`."
    )
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = {"compute": {"gpu": "A10G"}}

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="A10G"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet, value in _own_configs(ctx):
            root = resolve(namespace, chainlet.module, value)
            if call_symbol(namespace, root.value) == sdk.REMOTE_CONFIG:
                continue
            if is_unreadable(namespace, root):
                continue  # reported by CH704: the linter cannot see it
            yield self.diagnostic(value.span, self._root_message(ctx, root))
        for call, arguments in _arguments(ctx, sdk.REMOTE_CONFIG):
            for name, located in arguments.items():
                expected = SECTIONS.get(name)
                if expected is not None:
                    yield from self._check_section(ctx, call, name, expected, located)
        for call, arguments in _arguments(ctx, sdk.DOCKER_IMAGE):
            image = arguments.get("base_image")
            if image is not None:
                yield from self._check_base_image(ctx, _written(call, "base_image"), image)

    def _root_message(self, ctx: RuleContext, root: Located) -> str:
        symbol = call_symbol(ctx.model.namespace, root.value)
        field = next((f for f, s in SECTIONS.items() if s == symbol), None)
        if field is not None:
            return (
                f"`remote_config` is a `{_constructor(str(symbol))}`, not a `RemoteConfig`; "
                f"wrap it: `remote_config = chains.RemoteConfig({field}=...)`"
            )
        return (
            f"`remote_config` must be `chains.RemoteConfig(...)`, got `{_shown(root.value)}`; "
            "write `remote_config = chains.RemoteConfig(compute=chains.Compute(...), ...)`"
        )

    def _check_section(
        self, ctx: RuleContext, call: ConfigCall, name: str, expected: str, located: Located
    ) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        value = located.value
        symbol = call_symbol(namespace, value)
        if symbol == expected:
            return
        if expected in KEYWORD_ONLY and isinstance(value.literal, dict):
            return  # pydantic accepts a dict of the fields
        if is_unreadable(namespace, located):
            return
        written = _written(call, name)
        got = f"a `{_constructor(symbol)}`" if symbol else f"`{_shown(value)}`"
        yield self.diagnostic(
            written.span,
            f"`{name}` must be `{_constructor(expected)}`, got {got}; "
            f"write `{name}=chains.{expected}(...)`",
        )

    def _check_base_image(
        self, ctx: RuleContext, written: StaticValue, located: Located
    ) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        value = located.value
        member = baseten_image_member(namespace, value)
        if member is not None:
            if member not in BASETEN_IMAGES:
                known = ", ".join(BASETEN_IMAGES)
                yield self.diagnostic(
                    written.span,
                    f"`BasetenImage` has no member `{member}`; use one of {known}, "
                    "or `chains.CustomImage(image=...)` for another Python",
                )
            return
        symbol = call_symbol(namespace, value)
        if symbol == CUSTOM_IMAGE or isinstance(value.literal, (str, dict)):
            return  # a string is reported by CH718 in the truss profile
        if is_unreadable(namespace, located):
            return
        got = f"a `{_constructor(symbol)}`" if symbol else f"`{_shown(value)}`"
        yield self.diagnostic(
            written.span,
            f"`base_image` must be `chains.BasetenImage.PY311` (or PY39, PY310) or "
            f"`chains.CustomImage(image=...)`, got {got}",
        )


class UnknownConfigArgument(Rule):
    code = "CH702"
    name = "remote-config-unknown-argument"
    summary = (
        "Finds keyword arguments that `RemoteConfig`, `DockerImage`, `Compute`, `Assets`, "
        "`CustomImage` or `ChainletOptions` do not have."
    )
    why = (
        "truss rejects unknown arguments when the chain is imported (`Compute` raises a "
        "`TypeError`, the others a validation error); a misspelt name never takes effect."
    )
    fix = "Use the parameter the message suggests, or move the argument to the right class."
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="A10G", gpus=2))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="A10G", gpu_count=2))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call in _calls(ctx):
            for name, value in call.call.kwargs:
                if name not in call.parameters:
                    yield self.diagnostic(value.span, self._message(call, name, value))

    def _message(self, call: ConfigCall, name: str, value: StaticValue) -> str:
        message = f"`{call.symbol}` has no parameter `{name}`"
        alias = _alias(name, value)
        if alias in call.parameters:
            return f"{message}; did you mean `{alias}`?"
        home = self._home(call, name)
        if home is not None:
            return f"{message}; it belongs in `{home}`"
        suggestion = _closest(name, call.parameters)
        if suggestion is not None:
            return f"{message}; did you mean `{suggestion}`?"
        return f"{message}; its parameters are {', '.join(call.parameters)}"

    def _home(self, call: ConfigCall, name: str) -> str | None:
        """The config class that has ``name`` when ``call`` is the wrong place for it."""
        for symbol, parameters in PARAMETERS.items():
            if symbol != call.symbol and name in parameters and symbol != CUSTOM_IMAGE:
                return f"chains.{symbol}({name}=...)"
        return None


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


def _alias(name: str, value: StaticValue) -> str | None:
    if name == "gpus":  # gpus=2 is a count, gpus="A10G" a type
        return "gpu_count" if isinstance(value.literal, int) else "gpu"
    return _ALIASES.get(name)


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
        for call in _calls(ctx):
            args = call.call.args
            if call.symbol in KEYWORD_ONLY:
                for index, value in enumerate(args):
                    name = self._likely_name(namespace, call, index, value)
                    yield self.diagnostic(
                        value.span,
                        f"`{call.symbol}` takes keyword arguments only; "
                        f"write `{name}={_shown(value)}`",
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


class ConfigValueNotStatic(Rule):
    code = "CH704"
    name = "remote-config-not-static"
    severity = Severity.WARNING
    summary = (
        "Finds `remote_config` values that are not literals (or module-level constants), "
        "one warning per value the linter and the build cannot read."
    )
    why = (
        "The build reads `remote_config` without running your code; a value computed at "
        "import time (an environment variable, a function call) is invisible to it, and "
        "the default is used instead."
    )
    fix = (
        "Write the value as a literal, or as a module-level constant bound to a literal, "
        'e.g. `GPU = "A10G"` and `chains.Compute(gpu=GPU)`.'
    )
    bad = """
import os

import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu=os.environ["GPU"]))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    good = """
import truss_chains as chains

GPU = "A10G"


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu=GPU))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet, _value in _own_configs(ctx):
            for path, span in chainlet.remote_config.unread:
                yield self.diagnostic(span, self._message(path))

    def _message(self, path: str) -> str:
        if path == "remote_config":
            return (
                "`remote_config` is not a `chains.RemoteConfig(...)` the linter can read, so "
                "the build cannot see its settings; assign `chains.RemoteConfig(...)` directly "
                "or through a module-level constant"
            )
        if path.endswith("**"):
            where = path[: -len(".**")] or "RemoteConfig"
            return (
                f"`**` arguments of `{where}` cannot be read statically, so the build cannot "
                "see them; pass each setting as a keyword argument"
            )
        return (
            f"`{path}` in `remote_config` is not a literal, so the build cannot see its value "
            "and uses the default; write it as a literal or a module-level constant"
        )


# ---------------------------------------------------------------------------
# Compute
# ---------------------------------------------------------------------------


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
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="H100", gpu_count=2))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, arguments in _arguments(ctx, sdk.COMPUTE):
            located = arguments.get("gpu")
            if located is None or not located.value.is_literal:
                continue
            literal = located.value.literal
            if literal in (None, "") or (isinstance(literal, str) and accelerator(literal)):
                continue  # truss treats gpu="" as no GPU
            span = _located_span(_written(call, "gpu"), located)
            yield self.diagnostic(span, gpu_message(literal))


def gpu_message(literal: object) -> str:
    known = ", ".join(PUBLIC_ACCELERATOR_NAMES)
    if not isinstance(literal, str):
        return f'`gpu` must be a GPU name such as "A10G", got `{literal!r}`; known GPUs: {known}'
    if not literal.strip():
        return f'`gpu="{literal}"` is blank; {_CPU_ONLY_HINT}, or name a GPU such as "A10G"'
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
    suggestion = _closest(literal.upper().replace("-", "_"), list(upper))
    hint = f'did you mean `"{upper[suggestion]}"`?' if suggestion else f"known GPUs: {known}"
    return f'`gpu="{literal}"` is not a known GPU; {hint}'


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
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(memory="16Gi"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, arguments in _arguments(ctx, sdk.COMPUTE):
            located = arguments.get("memory")
            if located is None or not located.value.is_literal:
                continue
            literal = located.value.literal
            span = _located_span(_written(call, "memory"), located)
            if not isinstance(literal, str):
                yield self.diagnostic(
                    span,
                    f'`memory` must be a string such as "2Gi", got `{literal!r}`; '
                    f'write `memory="{literal}Gi"` if you meant GiB',
                )
            elif parse_memory(literal) is None:
                yield self.diagnostic(span, _memory_message(literal))


_LOOSE_MEMORY = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z]*)\s*")
_UNIT_FIXES = {"k": "Ki", "m": "Mi", "g": "Gi", "t": "Ti", "p": "Pi", "e": "Ei"}


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
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(memory="16Gi"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, arguments in _arguments(ctx, sdk.COMPUTE):
            located = arguments.get("memory")
            if located is None or not isinstance(located.value.literal, str):
                continue
            literal = located.value.literal
            size = parse_memory(literal)
            if size is None or size >= _SMALL_MEMORY_BYTES:
                continue
            number = literal.rstrip("".join(MEMORY_UNITS))
            unit = "Gi" if size <= 256 else "Mi"
            yield self.diagnostic(
                _located_span(_written(call, "memory"), located),
                f'`memory="{literal}"` is only {size} bytes, too little to run a chainlet; '
                f'did you mean `"{number}{unit}"`?',
            )


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
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=1))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        yield from _check_count(self, ctx, "cpu_count", "")


def _check_count(rule: Rule, ctx: RuleContext, name: str, extra: str) -> Iterator[Diagnostic]:
    for call, arguments in _arguments(ctx, sdk.COMPUTE):
        located = arguments.get(name)
        if located is None or not located.value.is_literal:
            continue
        problem = _count_problem(located.value.literal, name)
        if problem is not None:
            span = _located_span(_written(call, name), located)
            yield rule.diagnostic(span, problem + extra)


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
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="T4", gpu_count=1))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        yield from _check_count(self, ctx, "gpu_count", f" ({_CPU_ONLY_HINT})")


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
        for call, arguments in _arguments(ctx, sdk.COMPUTE):
            located = arguments.get("predict_concurrency")
            if located is None or not located.value.is_literal:
                continue
            literal = located.value.literal
            if literal == "cpu_count":
                continue
            span = _located_span(_written(call, "predict_concurrency"), located)
            if isinstance(literal, str) and not literal.strip().isdigit():
                yield self.diagnostic(
                    span,
                    f'`predict_concurrency="{literal}"` must be an int or exactly '
                    '"cpu_count"; write `predict_concurrency="cpu_count"` or a number',
                )
                continue
            problem = _count_problem(literal, "predict_concurrency")
            if problem is not None:
                yield self.diagnostic(span, problem)


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
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="A10G", gpu_count=2))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, arguments in _arguments(ctx, sdk.COMPUTE):
            if "gpu_count" not in arguments or "instance_type" in arguments:
                continue
            gpu = arguments.get("gpu")
            if gpu is not None and not _is_unset(gpu):
                continue
            written = _written(call, "gpu_count")
            yield self.diagnostic(
                written.span,
                f"`gpu_count={_shown(written)}` has no effect without `gpu`; add the GPU type, "
                'e.g. `gpu="A10G"`, or remove `gpu_count`',
            )


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
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(instance_type="H100:8x80"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, arguments in _arguments(ctx, sdk.COMPUTE):
            located = arguments.get("instance_type")
            if located is None or not located.value.is_literal or _is_unset(located):
                continue
            literal = located.value.literal
            if isinstance(literal, str) and parse_instance_type(literal) is not None:
                continue
            span = _located_span(_written(call, "instance_type"), located)
            yield self.diagnostic(span, _instance_type_message(literal))


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
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(instance_type="L4:4x16"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, arguments in _arguments(ctx, sdk.COMPUTE):
            instance = arguments.get("instance_type")
            if instance is None or _is_unset(instance):
                continue
            shown = _shown(_written(call, "instance_type"))
            for name in ("cpu_count", "memory", "gpu", "gpu_count"):
                if name in arguments:
                    yield self.diagnostic(
                        _written(call, name).span,
                        f"`{name}` is ignored because `instance_type={shown}` is set; "
                        f"remove `{name}` or `instance_type`",
                    )


# ---------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------


def _name_span(chainlet: Chainlet) -> Span:
    config = chainlet.remote_config
    written = config.sources.get("name")
    if written is not None and config.owner == chainlet.qualified:
        return written.span
    return chainlet.cls.span


class InvalidDisplayName(Rule):
    code = "CH714"
    name = "invalid-display-name"
    summary = (
        "Finds chainlet display names (`RemoteConfig(name=...)`, else the class name) with "
        "characters other than letters, digits, `_` and `-`."
    )
    why = (
        "truss checks display names against `^[a-zA-Z0-9_-]+$` when the chain is imported; "
        "they become service and URL names."
    )
    fix = 'Use only ASCII letters, digits, `_` and `-`, e.g. `name="My-Model"`.'
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="My Model!")

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="My-Model")

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet in ctx.chainlets:
            config = chainlet.remote_config
            written = config.sources.get("name")
            own = config.owner == chainlet.qualified
            if written is not None and own:
                located = resolve(namespace, chainlet.module, written)
                literal = located.value.literal
                if located.value.is_literal and not isinstance(literal, (str, type(None))):
                    yield self.diagnostic(
                        written.span,
                        f'`name` must be a string, got `{literal!r}`; write `name="{literal}"`',
                    )
                    continue
            if written is not None and config.name is None:
                continue  # not readable (CH704) or not a string
            name = chainlet.display_name
            if _DISPLAY_NAME.fullmatch(name):
                continue
            yield self.diagnostic(_name_span(chainlet), self._message(chainlet, name))

    def _message(self, chainlet: Chainlet, name: str) -> str:
        fixed = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "chainlet"
        origin = "display name" if chainlet.remote_config.name else "class name (its display name)"
        return (
            f"chainlet {origin} `{name}` may only contain ASCII letters, digits, `_` and `-`; "
            f'set e.g. `remote_config = chains.RemoteConfig(name="{fixed}")`'
        )


class DuplicateDisplayName(Rule):
    code = "CH715"
    name = "duplicate-display-name"
    summary = "Finds two chainlets of one chain with the same display name."
    why = (
        "Each chainlet is deployed as a service named after its display name; truss refuses "
        "a chain where two chainlets share one (a name set in a base class's `remote_config` "
        "is inherited by its subclasses)."
    )
    fix = "Give each chainlet its own `RemoteConfig(name=...)`, or rename a class."
    bad = """
import truss_chains as chains


class Tokenizer(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="Worker")

    async def run_remote(self, text: str) -> list[str]:
        return text.split()


@chains.mark_entrypoint
class Pipeline(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="Worker")

    def __init__(self, tokenizer: Tokenizer = chains.depends(Tokenizer)) -> None:
        self._tokenizer = tokenizer

    async def run_remote(self, text: str) -> int:
        return len(await self._tokenizer.run_remote(text))
"""
    good = """
import truss_chains as chains


class Tokenizer(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="Tokenizer")

    async def run_remote(self, text: str) -> list[str]:
        return text.split()


@chains.mark_entrypoint
class Pipeline(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="Pipeline")

    def __init__(self, tokenizer: Tokenizer = chains.depends(Tokenizer)) -> None:
        self._tokenizer = tokenizer

    async def run_remote(self, text: str) -> int:
        return len(await self._tokenizer.run_remote(text))
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chain in ctx.model.chains:
            if chain.path != ctx.module.path:
                continue
            by_name: dict[str, list[Chainlet]] = {}
            for chainlet in chain.chainlets:
                by_name.setdefault(chainlet.display_name, []).append(chainlet)
            for name, chainlets in by_name.items():
                if len(chainlets) < 2:
                    continue
                first = chainlets[0]
                for other in chainlets[1:]:
                    yield self.diagnostic(
                        _name_span(other),
                        f"chainlets `{first.name}` and `{other.name}` both have the display "
                        f"name `{name}`; give `{other.name}` its own "
                        "`remote_config = chains.RemoteConfig(name=...)`",
                        related=(_name_span(first),),
                    )


# ---------------------------------------------------------------------------
# Lists, build entries, images and paths
# ---------------------------------------------------------------------------


class ConfigNotAList(Rule):
    code = "CH716"
    name = "config-not-a-list"
    summary = (
        "Finds `pip_requirements`, `apt_requirements`, `build_commands`, `secret_keys` and "
        "other list fields given a bare string or another non-list, or items of the wrong type."
    )
    why = (
        "truss rejects a string for `pip_requirements`, `apt_requirements` and "
        "`build_commands`; for `secret_keys` it silently splits the string into one secret "
        "per character, so the real secret is never available."
    )
    fix = 'Wrap the value in a list: `secret_keys=["hf_access_token"]`.'
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements="numpy"),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
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
        for symbol, fields in _LIST_FIELDS.items():
            for call, arguments in _arguments(ctx, symbol):
                for name, strings in fields:
                    located = arguments.get(name)
                    if located is not None:
                        written = _written(call, name)
                        yield from self._check(ctx, call, name, strings, written, located)

    def _check(
        self,
        ctx: RuleContext,
        call: ConfigCall,
        name: str,
        strings: bool,
        written: StaticValue,
        located: Located,
    ) -> Iterator[Diagnostic]:
        value = located.value
        span = _located_span(written, located)
        if isinstance(value.node, cst.Set):
            yield self.diagnostic(span, f"`{name}` must be a list, not a set; use `[...]`")
            return
        if value.elements is None and not isinstance(value.literal, (list, tuple)):
            if not value.is_literal or (value.literal is None and name == "external_package_dirs"):
                return
            yield self.diagnostic(span, self._not_a_list(name, value.literal))
            return
        if ctx.profile == "truss" and call.symbol in KEYWORD_ONLY and _is_tuple(value):
            yield self.diagnostic(
                span, f"truss requires a list for `{name}`, not a tuple; use `[...]`"
            )
        if strings:
            yield from self._check_items(ctx, name, located)

    def _not_a_list(self, name: str, literal: object) -> str:
        if isinstance(literal, str):
            extra = (
                " (a string would be split into one secret per character)"
                if name == "secret_keys"
                else ""
            )
            return (
                f"`{name}` must be a list of strings, not a single string{extra}; "
                f"write `{name}=[{literal!r}]`"
            )
        return f"`{name}` must be a list, got `{literal!r}`"

    def _check_items(self, ctx: RuleContext, name: str, located: Located) -> Iterator[Diagnostic]:
        for index, element in enumerate(located.value.elements or ()):
            item = resolve(ctx.model.namespace, located.module, element)
            if item.value.is_literal and not isinstance(item.value.literal, str):
                yield self.diagnostic(
                    element.span,
                    f"`{name}[{index}]` must be a string, got `{item.value.literal!r}`; "
                    f'write `"{item.value.literal}"`',
                )


def _is_tuple(value: StaticValue) -> bool:
    return isinstance(value.node, cst.Tuple) or isinstance(value.literal, tuple)


class NewlineInBuildEntry(Rule):
    code = "CH717"
    name = "newline-in-build-entry"
    summary = (
        "Finds `pip_requirements`, `apt_requirements` and `build_commands` entries that "
        "contain a line break."
    )
    why = (
        "Each entry becomes part of one line of the generated Dockerfile (or requirements "
        "file); a line break splits it, so the image build fails or runs something else."
    )
    fix = "Put each command or requirement in its own list entry, or join commands with `&&`."
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        build_commands=["git clone https://github.com/org/repo.git\\ncd repo"],
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        build_commands=["git clone https://github.com/org/repo.git", "cd repo && make"],
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for symbol, fields in _DOCKERFILE_FIELDS.items():
            for _call, arguments in _arguments(ctx, symbol):
                for name in fields:
                    located = arguments.get(name)
                    if located is not None:
                        yield from self._check(ctx, name, located)

    def _check(self, ctx: RuleContext, name: str, located: Located) -> Iterator[Diagnostic]:
        elements = located.value.elements
        if elements is None:
            return
        for index, element in enumerate(elements):
            item = resolve(ctx.model.namespace, located.module, element)
            literal = item.value.literal
            if isinstance(literal, str) and ("\n" in literal or "\r" in literal):
                yield self.diagnostic(
                    _located_span(element, item),
                    f"`{name}[{index}]` contains a line break, which would break the "
                    "generated Dockerfile; split it into separate list entries "
                    "(or join commands with `&&`)",
                )


class StringBaseImage(Rule):
    code = "CH718"
    name = "string-base-image"
    profiles = frozenset({"truss"})
    summary = "Finds `DockerImage(base_image=...)` given a plain string (truss profile)."
    why = (
        "truss no longer accepts an image name as a string and raises `ChainsUsageError` when "
        "the chain is imported (chains_runtime still accepts it)."
    )
    fix = 'Write `base_image=chains.CustomImage(image="python:3.11-slim")`.'
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(base_image="python:3.11-slim"),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            base_image=chains.CustomImage(image="python:3.11-slim"),
        ),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, arguments in _arguments(ctx, sdk.DOCKER_IMAGE):
            located = arguments.get("base_image")
            if located is None or not isinstance(located.value.literal, str):
                continue
            yield self.diagnostic(
                _located_span(_written(call, "base_image"), located),
                "truss rejects `base_image` as a string; write "
                f"`base_image=chains.CustomImage(image={located.value.literal!r})`",
            )


class PlainStringPath(Rule):
    code = "CH719"
    name = "plain-string-path"
    profiles = frozenset({"truss"})
    summary = (
        "Finds `DockerImage` paths (`requirements_file`, `data_dir`, `external_package_dirs`"
        "...) given as plain strings instead of `make_abs_path_here(...)` (truss profile)."
    )
    why = (
        "truss only accepts paths made with `chains.make_abs_path_here`, which resolves them "
        "against the file they are written in; a plain string fails validation."
    )
    fix = 'Write `requirements_file=chains.make_abs_path_here("requirements.txt")`.'
    bad: ClassVar[Example] = {
        "chain.py": """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(requirements_file="requirements.txt"),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
""",
        "requirements.txt": "numpy\n",
    }
    good: ClassVar[Example] = {
        "chain.py": """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            requirements_file=chains.make_abs_path_here("requirements.txt"),
        ),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
""",
        "requirements.txt": "numpy\n",
    }

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for call, arguments in _arguments(ctx, sdk.DOCKER_IMAGE):
            for name in (*FILE_FIELDS, *DIR_FIELDS):
                located = arguments.get(name)
                if located is not None and isinstance(located.value.literal, str):
                    yield self._report(_located_span(_written(call, name), located), name, located)
            dirs = arguments.get("external_package_dirs")
            for element in (dirs.value.elements or ()) if dirs else ():
                item = resolve(namespace, dirs.module if dirs else call.module, element)
                if isinstance(item.value.literal, str):
                    yield self._report(element.span, "external_package_dirs", item)

    def _report(self, span: Span, name: str, located: Located) -> Diagnostic:
        return self.diagnostic(
            span,
            f"truss requires `chains.make_abs_path_here(...)` for `{name}`, not a plain "
            f"string; write `chains.make_abs_path_here({located.value.literal!r})`",
        )


class ConflictingRequirements(Rule):
    code = "CH720"
    name = "conflicting-requirements"
    summary = (
        "Finds `DockerImage` with both `pip_requirements_file` and `requirements_file`, or "
        "`pip_requirements` next to a `pyproject.toml` / `uv.lock` `requirements_file`."
    )
    why = (
        "truss refuses both combinations: `pip_requirements_file` is the deprecated name of "
        "`requirements_file`, and a pyproject or uv.lock file must list every dependency."
    )
    fix = (
        "Keep only `requirements_file`; with a pyproject.toml or uv.lock, move the "
        "`pip_requirements` into that file."
    )
    bad: ClassVar[Example] = {
        "chain.py": """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            requirements_file=chains.make_abs_path_here("pyproject.toml"),
            pip_requirements=["numpy"],
        ),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
""",
        "pyproject.toml": '[project]\nname = "model"\nversion = "0.1"\n',
    }
    good: ClassVar[Example] = {
        "chain.py": """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            requirements_file=chains.make_abs_path_here("pyproject.toml"),
        ),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
""",
        "pyproject.toml": (
            '[project]\nname = "model"\nversion = "0.1"\ndependencies = ["numpy"]\n'
        ),
    }

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for call, arguments in _arguments(ctx, sdk.DOCKER_IMAGE):
            legacy = arguments.get("pip_requirements_file")
            current = arguments.get("requirements_file")
            if _given(legacy) and _given(current):
                yield self.diagnostic(
                    _written(call, "pip_requirements_file").span,
                    "`pip_requirements_file` and `requirements_file` are both set; "
                    "`pip_requirements_file` is the deprecated name: keep only "
                    "`requirements_file`",
                )
            listed = arguments.get("pip_requirements")
            if current is None or listed is None or not _non_empty(listed):
                continue
            path = resolve_path(namespace, current)
            if path is not None and os.path.basename(path) in ("pyproject.toml", "uv.lock"):
                yield self.diagnostic(
                    _written(call, "pip_requirements").span,
                    f"`pip_requirements` cannot be combined with a `{os.path.basename(path)}` "
                    "`requirements_file`; list these dependencies in pyproject.toml instead",
                )


def _given(located: Located | None) -> bool:
    return located is not None and not _is_unset(located)


def _non_empty(located: Located) -> bool:
    value = located.value
    if value.elements is not None:
        return bool(value.elements)
    return bool(value.literal)


class ConfigPathNotFound(Rule):
    code = "CH721"
    name = "config-path-not-found"
    summary = (
        "Finds `DockerImage` paths (`requirements_file`, `pip_requirements_file`, `data_dir`, "
        "`external_package_dirs`) that point to nothing."
    )
    why = (
        "truss resolves these paths when it generates the deployment and fails when the file "
        "is missing or the folder is empty; the build cannot copy them either."
    )
    fix = (
        "Fix the path; relative paths are resolved against the folder of the file that "
        "contains the `make_abs_path_here(...)` call."
    )
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            requirements_file=chains.make_abs_path_here("requirements.txt"),
        ),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    good: ClassVar[Example] = {
        "chain.py": """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            requirements_file=chains.make_abs_path_here("requirements.txt"),
        ),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
""",
        "requirements.txt": "numpy\n",
    }

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for call, arguments in _arguments(ctx, sdk.DOCKER_IMAGE):
            for name in (*FILE_FIELDS, *DIR_FIELDS):
                located = arguments.get(name)
                if located is not None:
                    yield from self._check(ctx, name, _written(call, name), located)
            dirs = arguments.get("external_package_dirs")
            for element in (dirs.value.elements or ()) if dirs else ():
                assert dirs is not None
                item = resolve(ctx.model.namespace, dirs.module, element)
                yield from self._check(ctx, "external_package_dirs", element, item)

    def _check(
        self, ctx: RuleContext, name: str, written: StaticValue, located: Located
    ) -> Iterator[Diagnostic]:
        path = resolve_path(ctx.model.namespace, located)
        if path is None:
            return
        if os.path.isfile(path) or (os.path.isdir(path) and os.listdir(path)):
            return
        inner = abs_path_argument(ctx.model.namespace, located)
        shown = (inner or located).value.literal
        state = "is an empty folder" if os.path.isdir(path) else "does not exist"
        yield self.diagnostic(
            written.span,
            f"`{name}` {shown!r} resolves to `{path}`, which {state}; fix the path "
            "(relative paths start from the folder of the file they are written in)",
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
        for call, arguments in _arguments(ctx, CHAINLET_OPTIONS):
            for name, located in arguments.items():
                problem = _option_problem(name, located)
                if problem is not None:
                    yield self.diagnostic(_located_span(_written(call, name), located), problem)
        for call, arguments in _arguments(ctx, CUSTOM_IMAGE):
            if "image" not in arguments:
                yield self.diagnostic(
                    call.value.span,
                    "`CustomImage` needs `image`; write "
                    '`chains.CustomImage(image="python:3.11-slim")`',
                )
            for name in ("image", "python_executable_path"):
                yield from self._check_string(call, arguments, name, required=name == "image")
        for call, arguments in _arguments(ctx, sdk.DOCKER_IMAGE):
            yield from self._check_string(call, arguments, "truss_server_version_override")

    def _check_string(
        self, call: ConfigCall, arguments: dict[str, Located], name: str, required: bool = False
    ) -> Iterator[Diagnostic]:
        given = arguments.get(name)
        if given is None:
            return
        problem = _string_problem(name, given, required)
        if problem is not None:
            yield self.diagnostic(_located_span(_written(call, name), given), problem)


def _string_problem(name: str, located: Located, required: bool) -> str | None:
    value = located.value
    if not value.is_literal or (isinstance(value.literal, str) and value.literal.strip()):
        return None
    if value.literal is None and not required:
        return None
    if isinstance(value.literal, str):
        return f"`{name}` is empty; give a value or leave it out"
    return f'`{name}` must be a string, got `{value.literal!r}`; write `{name}="{value.literal}"`'


def _positive_int(literal: object) -> bool:
    return isinstance(literal, int) and not isinstance(literal, bool) and literal > 0


def _option_problem(name: str, located: Located) -> str | None:
    value = located.value
    if not value.is_literal:
        return None
    literal = value.literal
    if name in ("enable_b10_tracing", "enable_debug_logs") and not isinstance(literal, bool):
        return f"`{name}` must be `True` or `False`, got `{literal!r}`"
    if name == "streaming_read_timeout" and not _positive_int(literal):
        return f"`streaming_read_timeout` must be a positive int of seconds, got `{literal!r}`"
    if name == "env_variables":
        if not isinstance(literal, dict):
            return f"`env_variables` must be a dict of strings, got `{literal!r}`"
        for key, item in literal.items():
            if not isinstance(item, str):
                return (
                    f"`env_variables[{key!r}]` must be a string, got `{item!r}`; "
                    f'write `{key!r}: "{item}"`'
                )
    return None


RULES: tuple[type[Rule], ...] = (
    RemoteConfigWrongType,
    UnknownConfigArgument,
    PositionalConfigArgument,
    ConfigValueNotStatic,
    UnknownGpu,
    InvalidMemory,
    MemoryTooSmall,
    InvalidCpuCount,
    InvalidGpuCount,
    InvalidPredictConcurrency,
    GpuCountWithoutGpu,
    InvalidInstanceType,
    InstanceTypeOverridesResources,
    InvalidDisplayName,
    DuplicateDisplayName,
    ConfigNotAList,
    NewlineInBuildEntry,
    StringBaseImage,
    PlainStringPath,
    ConflictingRequirements,
    ConfigPathNotFound,
    ConfigValueType,
)
