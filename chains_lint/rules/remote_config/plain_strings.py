"""CH718 and CH719 (truss profile): plain strings where truss wants an SDK object."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.model import sdk
from chains_lint.model.remote_config.calls import Located
from chains_lint.rules.base import Example, Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import (
    arguments_named,
    calls_of,
    located_span,
    path_arguments,
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
    bad_span = (6, 52, 6, 70)
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
        for image in arguments_named(ctx, sdk.DOCKER_IMAGE, "base_image"):
            if not isinstance(image.literal, str):
                continue
            yield self.diagnostic(
                image.span,
                "truss rejects `base_image` as a string; write "
                f"`base_image=chains.CustomImage(image={image.literal!r})`",
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
    bad_span = (6, 59, 6, 77)
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
        for call, arguments in calls_of(ctx, sdk.DOCKER_IMAGE):
            for path in path_arguments(namespace, call, arguments):
                if not isinstance(path.located.value.literal, str):
                    continue
                # A field points at the literal (maybe a constant), a list item at the item.
                span = (
                    path.written.span if path.in_list else located_span(path.written, path.located)
                )
                yield self._report(span, path.name, path.located)

    def _report(self, span: Span, name: str, located: Located) -> Diagnostic:
        return self.diagnostic(
            span,
            f"truss requires `chains.make_abs_path_here(...)` for `{name}`, not a plain "
            f"string; write `chains.make_abs_path_here({located.value.literal!r})`",
        )
