"""CH604: secrets read while the declared keys cannot be seen."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.secrets.read_rule import chainlets_reading_secrets, same_config_base_reads


class SecretKeysUnknown(Rule):
    code = "CH604"
    name = "secret-keys-unknown"
    severity = Severity.WARNING
    summary = (
        "Reports a chainlet that reads secrets while its `secret_keys` cannot be read "
        "statically."
    )
    why = """
When `remote_config`, `assets` or `secret_keys` is built by code (a function
call, an imported constant, a comprehension), the linter cannot check that the
secrets the chainlet reads are declared. A missing key only shows up as a
`KeyError` after deploying.
"""
    fix = """
Write `remote_config = chains.RemoteConfig(assets=chains.Assets(secret_keys=[...]))`
with literal keys in the chainlet (or in a constant of the same file).
"""
    bad = """
import truss_chains as chains

KEYS = [key for key in ["hf_access_token"]]


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(secret_keys=KEYS),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._token = context.secrets["hf_access_token"]

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (8, 42, 8, 46)
    good = """
import truss_chains as chains


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(secret_keys=["hf_access_token"]),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._token = context.secrets["hf_access_token"]

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet, declared in chainlets_reading_secrets(ctx):
            if declared.complete:
                continue
            unchecked = sorted(
                {
                    r.key
                    for r in chainlet.secret_reads
                    if r.key
                    and not declared.declares(r.key)
                    and not same_config_base_reads(ctx, chainlet, r)
                }
            )
            if not unchecked:
                continue
            listed = ", ".join(f"`{k}`" for k in unchecked)
            message = (
                f"`{chainlet.name}` reads the secrets {listed}, but its `secret_keys` cannot "
                f"be read statically, so they cannot be checked; list the keys literally: "
                f"`assets=chains.Assets(secret_keys=[...])`"
            )
            where = declared.where
            if where is not None and where.path == ctx.module.display_path:
                yield self.diagnostic(where, message)
            else:
                yield self.diagnostic(chainlet.cls.span, message, (where,) if where else ())
