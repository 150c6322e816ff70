"""CH701: ``remote_config`` or one of its parts built with the wrong class."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model import sdk
from chains_lint.model.remote_config.calls import (
    ConfigCall,
    Located,
    call_symbol,
    is_unreadable,
    resolve,
)
from chains_lint.model.remote_config.constructors import (
    BASETEN_IMAGES,
    CUSTOM_IMAGE,
    KEYWORD_ONLY,
    SECTIONS,
)
from chains_lint.model.remote_config.enums import baseten_image_member
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import (
    Argument,
    arguments_named,
    calls_of,
    own_configs,
    written,
)
from chains_lint.rules.remote_config.messages import constructor, shown


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
    bad_span = (5, 21, 5, 49)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="A10G"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet, value in own_configs(ctx):
            root = resolve(namespace, chainlet.module, value)
            if call_symbol(namespace, root.value) == sdk.REMOTE_CONFIG:
                continue
            if is_unreadable(namespace, root):
                continue  # reported by CH704: the linter cannot see it
            yield self.diagnostic(value.span, self._root_message(ctx, root))
        for call, arguments in calls_of(ctx, sdk.REMOTE_CONFIG):
            for name, located in arguments.items():
                expected = SECTIONS.get(name)
                if expected is not None:
                    yield from self._check_section(ctx, call, name, expected, located)
        for image in arguments_named(ctx, sdk.DOCKER_IMAGE, "base_image"):
            yield from self._check_base_image(ctx, image)

    def _root_message(self, ctx: RuleContext, root: Located) -> str:
        symbol = call_symbol(ctx.model.namespace, root.value)
        field = next((f for f, s in SECTIONS.items() if s == symbol), None)
        if field is not None:
            return (
                f"`remote_config` is a `{constructor(str(symbol))}`, not a `RemoteConfig`; "
                f"wrap it: `remote_config = chains.RemoteConfig({field}=...)`"
            )
        return (
            f"`remote_config` must be `chains.RemoteConfig(...)`, got `{shown(root.value)}`; "
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
        got = f"a `{constructor(symbol)}`" if symbol else f"`{shown(value)}`"
        yield self.diagnostic(
            written(call, name).span,
            f"`{name}` must be `{constructor(expected)}`, got {got}; "
            f"write `{name}=chains.{expected}(...)`",
        )

    def _check_base_image(self, ctx: RuleContext, image: Argument) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        value = image.located.value
        member = baseten_image_member(namespace, value)
        if member is not None:
            if member not in BASETEN_IMAGES:
                known = ", ".join(BASETEN_IMAGES)
                yield self.diagnostic(
                    image.written.span,
                    f"`BasetenImage` has no member `{member}`; use one of {known}, "
                    "or `chains.CustomImage(image=...)` for another Python",
                )
            return
        symbol = call_symbol(namespace, value)
        if symbol == CUSTOM_IMAGE or isinstance(value.literal, (str, dict)):
            return  # a string is reported by CH718 in the truss profile
        if is_unreadable(namespace, image.located):
            return
        got = f"a `{constructor(symbol)}`" if symbol else f"`{shown(value)}`"
        yield self.diagnostic(
            image.written.span,
            f"`base_image` must be `chains.BasetenImage.PY311` (or PY39, PY310) or "
            f"`chains.CustomImage(image=...)`, got {got}",
        )
