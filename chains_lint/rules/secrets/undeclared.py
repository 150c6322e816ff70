"""CH601-CH602: reading a secret the chainlet does not declare."""

from __future__ import annotations

import difflib
from typing import ClassVar

from chains_lint.diagnostics import Severity
from chains_lint.model.types import Chainlet, SecretAccess, SecretRead
from chains_lint.rules.secrets.declared_keys import DeclaredKeys
from chains_lint.rules.secrets.read_rule import ReadRule


class UndeclaredRule(ReadRule):
    """Reports reads (of the kinds in ``accesses``) of keys the chainlet does not declare."""

    accesses: ClassVar[frozenset[SecretAccess]]

    def problem(self, chainlet: Chainlet, declared: DeclaredKeys, read: SecretRead) -> str | None:
        key = read.key
        if read.access not in self.accesses or key is None or not declared.complete:
            return None
        if declared.declares(key):
            return None
        return (
            f"secret `{key}` is not declared by `{chainlet.name}`, so {self.consequence(read)}; "
            f"{_declare_hint(key, chainlet, declared)}{_close(key, declared)}"
        )

    def consequence(self, read: SecretRead) -> str:
        raise NotImplementedError


class UndeclaredSecret(UndeclaredRule):
    code = "CH601"
    name = "undeclared-secret"
    summary = (
        "Reports `context.secrets[\"key\"]` for a key not listed in the chainlet's "
        "`Assets(secret_keys=[...])`."
    )
    why = """
A deployed chainlet only receives the secrets listed in its own
`remote_config.assets.secret_keys`. Reading any other key raises `KeyError`
when the chainlet starts or runs, even if the secret exists in your account.
"""
    fix = "Add the key to `secret_keys` of this chainlet's `Assets`, or fix its spelling."
    bad = """
import truss_chains as chains


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(secret_keys=["hf_access_token"]),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._token = context.secrets["hf_acess_token"]

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (10, 39, 10, 55)
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
    accesses = frozenset({"subscript"})

    def consequence(self, read: SecretRead) -> str:
        return "reading it raises `KeyError` when deployed"


class UndeclaredOptionalSecret(UndeclaredRule):
    code = "CH602"
    name = "undeclared-optional-secret"
    severity = Severity.WARNING
    summary = (
        "Reports `context.secrets.get(\"key\")` or `\"key\" in context.secrets` for a key "
        "not listed in the chainlet's `Assets(secret_keys=[...])`."
    )
    why = """
A deployed chainlet only receives the secrets listed in its own
`remote_config.assets.secret_keys`, so an undeclared key is always missing:
`.get` always returns the default and `in` is always false.
"""
    fix = "Add the key to `secret_keys` of this chainlet's `Assets`, or fix its spelling."
    bad = """
import truss_chains as chains


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(secret_keys=["hf_access_token"]),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._token = context.secrets.get("hf_token")

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (10, 43, 10, 53)
    good = """
import truss_chains as chains


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(secret_keys=["hf_access_token"]),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._token = context.secrets.get("hf_access_token")

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    accesses = frozenset({"get", "in"})

    def consequence(self, read: SecretRead) -> str:
        how = "`.get` always returns the default" if read.access == "get" else (
            "the `in` test is always false"
        )
        return f"it is never available when deployed and {how}"


def _close(key: str, declared: DeclaredKeys) -> str:
    close = difflib.get_close_matches(key, list(declared.keys), n=1, cutoff=0.6)
    return f"; did you mean `{close[0]}`?" if close else ""


def _declare_hint(key: str, chainlet: Chainlet, declared: DeclaredKeys) -> str:
    if declared.value is not None:
        listed = ", ".join(f"`{k}`" for k in declared.keys) or "none"
        return f'add `"{key}"` to `secret_keys` (declared: {listed})'
    return (
        f"declare it in `{chainlet.name}`: `remote_config = chains.RemoteConfig("
        f'assets=chains.Assets(secret_keys=["{key}"]))`'
    )

