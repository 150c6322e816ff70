"""CH603: reading a secret with a computed key."""

from __future__ import annotations

from chains_lint.diagnostics import Severity
from chains_lint.model.types import Chainlet, SecretRead
from chains_lint.rules.secrets.declared_keys import DeclaredKeys
from chains_lint.rules.secrets.read_rule import ReadRule


class DynamicSecretKey(ReadRule):
    code = "CH603"
    name = "dynamic-secret-key"
    severity = Severity.WARNING
    summary = "Reports a read of `context.secrets` with a key that is not a literal string."
    why = """
Only keys listed in `secret_keys` are available, and a computed key cannot be
checked against that list before deploying.
"""
    fix = 'Read each secret with a literal key: `context.secrets["hf_access_token"]`.'
    bad = """
import truss_chains as chains


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(secret_keys=["hf_access_token"]),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._token = context.secrets["hf_" + "access_token"]

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (10, 39, 10, 61)
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

    def problem(self, chainlet: Chainlet, declared: DeclaredKeys, read: SecretRead) -> str | None:
        if read.key is not None:
            return None
        return (
            "the secret key is computed, so it cannot be checked against `secret_keys`; "
            'use a literal key, e.g. `context.secrets["hf_access_token"]`'
        )

