"""Finding the secret keys a chainlet reads from ``context.secrets``."""

from __future__ import annotations

from collections.abc import Sequence

from chains_lint.model.types import MethodInScope, Param, SecretRead


def find_secret_reads(
    methods: Sequence[MethodInScope], context_param: Param | None
) -> tuple[SecretRead, ...]:
    """Every read of ``context.secrets`` in the chainlet's methods.

    Placeholder: implemented with the secrets rules.
    """
    return ()
