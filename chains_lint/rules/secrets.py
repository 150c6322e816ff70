"""CH601-CH604: secrets read from ``context.secrets`` and declared in ``Assets``.

In a deployed chainlet ``context.secrets`` holds exactly the keys listed in
``remote_config=RemoteConfig(assets=Assets(secret_keys=[...]))`` of that
chainlet (plus ``baseten_chain_api_key``, which the framework adds itself).

The declared keys are read here from the ``RemoteConfig(...)`` expression
itself, as far as it is made of literals; when they cannot be seen, reads are
not reported as undeclared (CH604 says so instead). A ``secret_keys`` that is
not a list of strings is reported by CH716 (with the other list fields); here
a bare string counts as declaring that one key, so that the read is not
reported a second time.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from dataclasses import dataclass

import libcst as cst

from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.model import sdk
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import Chainlet, SecretRead, StaticValue
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.calls import located

# Added to every chainlet's secrets by the framework (truss's CHAIN_API_KEY_SECRET_NAME).
IMPLICIT_SECRET_KEYS = frozenset({"baseten_chain_api_key"})
_SECRET_KEYS_POSITION = 1  # Assets(cached, secret_keys, external_data, weights)


@dataclass(frozen=True)
class DeclaredKeys:
    """The ``secret_keys`` of a chainlet as far as they can be read statically."""

    keys: tuple[str, ...]
    complete: bool  # False when some keys may be hidden in non-literal code
    value: StaticValue | None = None  # the ``secret_keys`` expression
    where: Span | None = None  # the expression that could not be read

    def declares(self, key: str) -> bool:
        return key in self.keys or key in IMPLICIT_SECRET_KEYS


def declared_secret_keys(namespace: Namespace, chainlet: Chainlet) -> DeclaredKeys:
    config = chainlet.remote_config.value
    if config is None:
        return DeclaredKeys((), complete=True)
    call = config.call
    if call is None or namespace.sdk_symbol(call.callee) != sdk.REMOTE_CONFIG:
        return DeclaredKeys((), complete=False, where=config.span)
    assets = call.kwarg("assets")
    if assets is None:
        return DeclaredKeys((), complete=not call.has_star_args, where=config.span)
    assets_call = assets.call
    if assets_call is None or namespace.sdk_symbol(assets_call.callee) != sdk.ASSETS:
        return DeclaredKeys((), complete=False, where=assets.span)
    value = assets_call.kwarg("secret_keys")
    if value is None and len(assets_call.args) > _SECRET_KEYS_POSITION:
        value = assets_call.args[_SECRET_KEYS_POSITION]
    if value is None:
        return DeclaredKeys((), complete=not assets_call.has_star_args, where=assets.span)
    return _read_keys(value)


def _read_keys(value: StaticValue) -> DeclaredKeys:
    literal = value.literal
    if isinstance(literal, str):  # a mistake (CH716); the author meant this one key
        return DeclaredKeys((literal,), complete=True, value=value)
    if isinstance(literal, (list, tuple, dict)):
        return DeclaredKeys(tuple(k for k in literal if isinstance(k, str)), True, value)
    if value.is_literal:  # None, a number: declares nothing (CH716)
        return DeclaredKeys((), complete=True, value=value)
    node = value.node
    plain = isinstance(node, (cst.List, cst.Tuple, cst.Set)) and all(
        isinstance(e, cst.Element) for e in node.elements
    )
    if not plain or value.elements is None:
        return DeclaredKeys((), complete=False, value=value, where=value.span)
    keys = tuple(e.literal for e in value.elements if isinstance(e.literal, str))
    complete = all(e.is_literal for e in value.elements)
    return DeclaredKeys(keys, complete, value, where=None if complete else value.span)


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


def _same_config_base_reads(ctx: RuleContext, chainlet: Chainlet, read: SecretRead) -> bool:
    """True when a linted base chainlet with the same ``remote_config`` sees this read."""
    linted = set(ctx.model.linted_paths)
    for qualified in chainlet.chainlet_bases:
        base = ctx.model.chainlet_for(qualified)
        if base is None or base.module.path not in linted:
            continue
        if not _same_config(base, chainlet):
            continue
        if any(other.span == read.span for other in base.secret_reads):
            return True
    return False


def _same_config(first: Chainlet, second: Chainlet) -> bool:
    one, other = first.remote_config.value, second.remote_config.value
    if one is None or other is None:
        return one is other
    return one.node is other.node


class _ReadRule(Rule):
    """A rule over the secret reads of each chainlet in the linted file."""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet in ctx.chainlets:
            if not chainlet.secret_reads:
                continue
            declared = declared_secret_keys(namespace, chainlet)
            for read in chainlet.secret_reads:
                if _same_config_base_reads(ctx, chainlet, read):
                    continue
                message = self.problem(chainlet, declared, read)
                if message is not None:
                    span, text, related = located(ctx, chainlet, read.span, read.method, message)
                    yield self.diagnostic(span, text, related)

    def problem(self, chainlet: Chainlet, declared: DeclaredKeys, read: SecretRead) -> str | None:
        raise NotImplementedError


_GATED_MODEL = """
import truss_chains as chains


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(secret_keys=["hf_access_token"]),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._token = READ

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""


def _gated(read: str, keys: str = '["hf_access_token"]') -> str:
    return _GATED_MODEL.replace('["hf_access_token"]', keys).replace("READ", read)


class UndeclaredSecret(_ReadRule):
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
    bad = _gated('context.secrets["hf_acess_token"]')
    good = _gated('context.secrets["hf_access_token"]')

    def problem(self, chainlet: Chainlet, declared: DeclaredKeys, read: SecretRead) -> str | None:
        if read.access != "subscript" or read.key is None or not declared.complete:
            return None
        if declared.declares(read.key):
            return None
        return (
            f"secret `{read.key}` is not declared by `{chainlet.name}`, so reading it raises "
            f"`KeyError` when deployed; {_declare_hint(read.key, chainlet, declared)}"
            f"{_close(read.key, declared)}"
        )


class UndeclaredOptionalSecret(_ReadRule):
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
    bad = _gated('context.secrets.get("hf_token")')
    good = _gated('context.secrets.get("hf_access_token")')

    def problem(self, chainlet: Chainlet, declared: DeclaredKeys, read: SecretRead) -> str | None:
        if read.access == "subscript" or read.key is None or not declared.complete:
            return None
        if declared.declares(read.key):
            return None
        how = "`.get` always returns the default" if read.access == "get" else (
            "the `in` test is always false"
        )
        return (
            f"secret `{read.key}` is not declared by `{chainlet.name}`, so it is never "
            f"available when deployed and {how}; "
            f"{_declare_hint(read.key, chainlet, declared)}{_close(read.key, declared)}"
        )


class DynamicSecretKey(_ReadRule):
    code = "CH603"
    name = "dynamic-secret-key"
    severity = Severity.WARNING
    summary = "Reports a read of `context.secrets` with a key that is not a literal string."
    why = """
Only keys listed in `secret_keys` are available, and a computed key cannot be
checked against that list before deploying.
"""
    fix = 'Read each secret with a literal key: `context.secrets["hf_access_token"]`.'
    bad = _gated('context.secrets["hf_" + "access_token"]')
    good = _gated('context.secrets["hf_access_token"]')

    def problem(self, chainlet: Chainlet, declared: DeclaredKeys, read: SecretRead) -> str | None:
        if read.key is not None:
            return None
        return (
            "the secret key is computed, so it cannot be checked against `secret_keys`; "
            'use a literal key, e.g. `context.secrets["hf_access_token"]`'
        )


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
    bad = _gated('context.secrets["hf_access_token"]', keys="KEYS").replace(
        "\n\nclass Llm", '\nKEYS = [key for key in ["hf_access_token"]]\n\n\nclass Llm'
    )
    good = _gated('context.secrets["hf_access_token"]')

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet in ctx.chainlets:
            declared = declared_secret_keys(namespace, chainlet)
            if declared.complete:
                continue
            unchecked = sorted(
                {
                    r.key
                    for r in chainlet.secret_reads
                    if r.key
                    and not declared.declares(r.key)
                    and not _same_config_base_reads(ctx, chainlet, r)
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


RULES: tuple[type[Rule], ...] = (
    UndeclaredSecret,
    UndeclaredOptionalSecret,
    DynamicSecretKey,
    SecretKeysUnknown,
)
