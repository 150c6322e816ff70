"""CH704: ``remote_config`` values the linter and the build cannot read."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import own_configs


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
    bad_span = (7, 68, 7, 85)
    good = """
import truss_chains as chains

GPU = "A10G"


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu=GPU))

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet, _value in own_configs(ctx):
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
            f"`{path}` in `remote_config` is not a literal (nor a constant bound to one), so "
            "the build cannot see its value and uses the default; write it as a literal or a "
            "module-level constant bound to a literal"
        )
