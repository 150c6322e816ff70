"""The secret keys a chainlet declares in ``Assets(secret_keys=[...])``, as the rules see them.

The keys are the model's (``remote_config.assets.secret_keys``). On top of the
model, the rules only trust a declaration written in the chainlet's own file,
as CH604 asks: the model follows imported constants, but keys that reach the
declaration through an import, or hide behind code or a ``*starred`` item,
make the declaration incomplete, so that reads are not reported as undeclared
(CH604 says the keys cannot be checked instead).

A ``secret_keys`` that is not a list of strings is reported by CH716 (with the
other list fields); here a bare string counts as declaring that one key (and a
dict its keys), so that the read is not reported a second time.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from chains_lint.diagnostics import Span
from chains_lint.model import sdk
from chains_lint.model.namespace import Namespace
from chains_lint.model.remote_config import call_symbol
from chains_lint.model.types import Chainlet, RemoteConfigModel, StaticValue

# Added to every chainlet's secrets by the framework (truss's CHAIN_API_KEY_SECRET_NAME).
IMPLICIT_SECRET_KEYS = frozenset({"baseten_chain_api_key"})

_ASSETS = "assets"
_SECRET_KEYS = "assets.secret_keys"
# ``RemoteConfig(**kw)`` and ``Assets(**kw)`` in the model's unread paths.
_CONFIG_STAR_ARGS = "**"
_ASSETS_STAR_ARGS = "assets.**"


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
    config = chainlet.remote_config
    value = config.value
    if value is None:
        return DeclaredKeys((), complete=True)
    if call_symbol(namespace, value) != sdk.REMOTE_CONFIG:
        return DeclaredKeys((), complete=False, where=value.span)
    assets = config.sources.get(_ASSETS)
    if assets is None:
        return _unless_star_args(config, _CONFIG_STAR_ARGS)
    if call_symbol(namespace, assets) != sdk.ASSETS:
        return DeclaredKeys((), complete=False, where=assets.span)
    written = config.sources.get(_SECRET_KEYS)
    if written is None:
        return _unless_star_args(config, _ASSETS_STAR_ARGS)
    literal = written.literal
    if isinstance(literal, str):
        return DeclaredKeys((literal,), complete=True, value=written)
    if isinstance(literal, dict):
        return DeclaredKeys(tuple(k for k in literal if isinstance(k, str)), True, written)
    items = _display_items(written)
    if written.is_literal or (items is not None and all(i.is_literal for i in items)):
        return DeclaredKeys(tuple(config.assets.secret_keys), complete=True, value=written)
    keys = tuple(i.literal for i in items or () if isinstance(i.literal, str))
    return DeclaredKeys(keys, complete=False, value=written, where=written.span)


def _unless_star_args(config: RemoteConfigModel, path: str) -> DeclaredKeys:
    """No keys, and none hidden unless ``**kwargs`` (at ``path``) may pass some."""
    for unread, span in config.unread:
        if unread == path:
            return DeclaredKeys((), complete=False, where=span)
    return DeclaredKeys((), complete=True)


def _display_items(value: StaticValue) -> tuple[StaticValue, ...] | None:
    """The items of a list, tuple or set written out without ``*starred`` items, else None."""
    node = value.node
    if value.elements is None or not isinstance(node, (cst.List, cst.Tuple, cst.Set)):
        return None
    if not all(isinstance(e, cst.Element) for e in node.elements):
        return None
    return value.elements
