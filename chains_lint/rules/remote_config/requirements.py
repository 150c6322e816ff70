"""CH720 and CH721: the requirement files and folders ``DockerImage`` points to."""

from __future__ import annotations

import os.path
from collections.abc import Iterator
from typing import ClassVar

from chains_lint.diagnostics import Diagnostic
from chains_lint.model import sdk
from chains_lint.model.file_probes import path_state
from chains_lint.model.remote_config.calls import Located
from chains_lint.model.remote_config.paths import abs_path_argument, resolve_path
from chains_lint.rules.base import Example, Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import (
    PathArgument,
    calls_of,
    is_unset,
    path_arguments,
    written,
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
        "pyproject.toml": """
[project]
name = "model"
version = "0.1"
""",
    }
    bad_span = (8, 30, 8, 39)
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
        "pyproject.toml": """
[project]
name = "model"
version = "0.1"
dependencies = ["numpy"]
""",
    }

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for call, arguments in calls_of(ctx, sdk.DOCKER_IMAGE):
            legacy = arguments.get("pip_requirements_file")
            current = arguments.get("requirements_file")
            if _given(legacy) and _given(current):
                yield self.diagnostic(
                    written(call, "pip_requirements_file").span,
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
                    written(call, "pip_requirements").span,
                    f"`pip_requirements` cannot be combined with a `{os.path.basename(path)}` "
                    "`requirements_file`; list these dependencies in pyproject.toml instead",
                )


def _given(located: Located | None) -> bool:
    return located is not None and not is_unset(located)


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
    bad_span = (7, 31, 7, 76)
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
                yield from self._check(ctx, path)

    def _check(self, ctx: RuleContext, given: PathArgument) -> Iterator[Diagnostic]:
        path = resolve_path(ctx.model.namespace, given.located)
        if path is None:
            return
        found = path_state(path)  # not os.path: the cache records what was asked
        if found in ("file", "folder"):
            return
        inner = abs_path_argument(ctx.model.namespace, given.located)
        shown = (inner or given.located).value.literal
        state = "is an empty folder" if found == "empty folder" else "does not exist"
        yield self.diagnostic(
            given.written.span,
            f"`{given.name}` {shown!r} resolves to `{path}`, which {state}; fix the path "
            "(relative paths start from the folder of the file they are written in)",
        )
