"""Where to report a problem found in a chainlet's methods, which may be inherited.

Shared by the call rules and the secrets rules: both check code in methods that
a chainlet may inherit from a base chainlet in another file.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from pathlib import Path

from chains_lint.diagnostics import Span
from chains_lint.model.types import Chainlet, ChainModel
from chains_lint.rules.base import RuleContext

_LINTED_PATHS: weakref.WeakKeyDictionary[ChainModel, frozenset[Path]] = (
    weakref.WeakKeyDictionary()
)


def located(
    ctx: RuleContext, chainlet: Chainlet, span: Span, method: str, message: str
) -> tuple[Span, str, tuple[Span, ...]]:
    """Where to report a problem found at ``span`` in one of ``chainlet``'s methods.

    A problem inside the linted file is reported where it is. One in a method
    inherited from another file is reported at the subclass's name, with the
    real location as related span.
    """
    if span.path == ctx.module.display_path:
        return span, message, ()
    prefix = f"in `{method}` inherited from {span.path}:{span.line}: "
    return chainlet.cls.span, prefix + message, (span,)


def linted_bases(ctx: RuleContext, chainlet: Chainlet) -> Iterator[Chainlet]:
    """The base chainlets of ``chainlet`` whose files are linted too (nearest first)."""
    if not chainlet.chainlet_bases:
        return
    model = ctx.model
    linted = _LINTED_PATHS.get(model)
    if linted is None:
        linted = _LINTED_PATHS[model] = frozenset(model.linted_paths)
    for qualified in chainlet.chainlet_bases:
        base = model.chainlet_for(qualified)
        if base is not None and base.module.path in linted:
            yield base
