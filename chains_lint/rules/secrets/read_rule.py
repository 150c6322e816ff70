"""The base of the rules that check each secret read of a chainlet."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.types import Chainlet, SecretRead
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.calls.location import linted_bases, located
from chains_lint.rules.secrets.declared_keys import DeclaredKeys, declared_secret_keys


class ReadRule(Rule):
    """A rule over the secret reads of each chainlet in the linted file."""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet, declared in chainlets_reading_secrets(ctx):
            for read in chainlet.secret_reads:
                message = self.problem(chainlet, declared, read)
                if message is None or same_config_base_reads(ctx, chainlet, read):
                    continue
                span, text, related = located(ctx, chainlet, read.span, read.method, message)
                yield self.diagnostic(span, text, related)

    def problem(self, chainlet: Chainlet, declared: DeclaredKeys, read: SecretRead) -> str | None:
        raise NotImplementedError


def chainlets_reading_secrets(ctx: RuleContext) -> Iterator[tuple[Chainlet, DeclaredKeys]]:
    """The linted file's chainlets that read secrets, with the keys they declare."""
    namespace = ctx.model.namespace
    for chainlet in ctx.chainlets:
        if chainlet.secret_reads:
            yield chainlet, declared_secret_keys(namespace, chainlet)


def same_config_base_reads(ctx: RuleContext, chainlet: Chainlet, read: SecretRead) -> bool:
    """True when a linted base chainlet with the same ``remote_config`` sees this read."""
    for base in linted_bases(ctx, chainlet):
        if _same_config(base, chainlet) and any(o.span == read.span for o in base.secret_reads):
            return True
    return False


def _same_config(first: Chainlet, second: Chainlet) -> bool:
    one, other = first.remote_config.value, second.remote_config.value
    if one is None or other is None:
        return one is other
    return one.node is other.node
