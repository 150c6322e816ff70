"""CH716 and CH717: fields that take a list, and list entries that become Dockerfile lines."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from chains_lint.diagnostics import Diagnostic
from chains_lint.model import sdk
from chains_lint.model.remote_config.calls import Located
from chains_lint.model.remote_config.constructors import KEYWORD_ONLY
from chains_lint.model.types import StaticValue
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import (
    Argument,
    argument,
    calls_of,
    list_items,
    located_span,
)

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
    bad_span = (6, 58, 6, 65)
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
            for call, arguments in calls_of(ctx, symbol):
                for name, strings in fields:
                    given = argument(call, arguments, name)
                    if given is not None:
                        yield from self._check(ctx, given, strings)

    def _check(self, ctx: RuleContext, given: Argument, strings: bool) -> Iterator[Diagnostic]:
        name = given.name
        value = given.located.value
        span = given.span
        if isinstance(value.node, cst.Set):
            yield self.diagnostic(span, f"`{name}` must be a list, not a set; use `[...]`")
            return
        if value.elements is None and not isinstance(value.literal, (list, tuple)):
            if not value.is_literal or (value.literal is None and name == "external_package_dirs"):
                return
            yield self.diagnostic(span, self._not_a_list(name, value.literal))
            return
        if ctx.profile == "truss" and given.call.symbol in KEYWORD_ONLY and _is_tuple(value):
            yield self.diagnostic(
                span, f"truss requires a list for `{name}`, not a tuple; use `[...]`"
            )
        if strings:
            yield from self._check_items(ctx, name, given.located)

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
        for index, element, item in list_items(ctx.model.namespace, located):
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
    bad = r"""
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        build_commands=["git clone https://github.com/org/repo.git\ncd repo"],
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (6, 25, 6, 77)
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
            for _call, arguments in calls_of(ctx, symbol):
                for name in fields:
                    located = arguments.get(name)
                    if located is not None:
                        yield from self._check(ctx, name, located)

    def _check(self, ctx: RuleContext, name: str, located: Located) -> Iterator[Diagnostic]:
        if located.value.elements is None:
            return
        for index, element, item in list_items(ctx.model.namespace, located):
            literal = item.value.literal
            if isinstance(literal, str) and ("\n" in literal or "\r" in literal):
                yield self.diagnostic(
                    located_span(element, item),
                    f"`{name}[{index}]` contains a line break, which would break the "
                    "generated Dockerfile; split it into separate list entries "
                    "(or join commands with `&&`)",
                )
