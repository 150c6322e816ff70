"""CH714 and CH715: chainlet display names (``RemoteConfig(name=...)``, else the class name)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from weakref import WeakKeyDictionary

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.model.remote_config.calls import resolve
from chains_lint.model.types import Chain, Chainlet, ChainModel
from chains_lint.rules.base import Rule, RuleContext

_DISPLAY_NAME = re.compile(r"[A-Za-z0-9_-]+")


def _name_span(chainlet: Chainlet) -> Span:
    config = chainlet.remote_config
    written = config.sources.get("name")
    if written is not None and config.owner == chainlet.qualified:
        return written.span
    return chainlet.cls.span


class InvalidDisplayName(Rule):
    code = "CH714"
    name = "invalid-display-name"
    summary = (
        "Finds chainlet display names (`RemoteConfig(name=...)`, else the class name) with "
        "characters other than letters, digits, `_` and `-`."
    )
    why = (
        "truss checks display names against `^[a-zA-Z0-9_-]+$` when the chain is imported; "
        "they become service and URL names."
    )
    fix = 'Use only ASCII letters, digits, `_` and `-`, e.g. `name="My-Model"`.'
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="My Model!")

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (5, 46, 5, 57)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="My-Model")

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet in ctx.chainlets:
            config = chainlet.remote_config
            written = config.sources.get("name")
            own = config.owner == chainlet.qualified
            if written is not None and own:
                located = resolve(namespace, chainlet.module, written)
                literal = located.value.literal
                if located.value.is_literal and not isinstance(literal, (str, type(None))):
                    yield self.diagnostic(
                        written.span,
                        f'`name` must be a string, got `{literal!r}`; write `name="{literal}"`',
                    )
                    continue
            if written is not None and config.name is None:
                continue  # not readable (CH704) or not a string
            name = chainlet.display_name
            if _DISPLAY_NAME.fullmatch(name):
                continue
            yield self.diagnostic(_name_span(chainlet), self._message(chainlet, name))

    def _message(self, chainlet: Chainlet, name: str) -> str:
        fixed = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "chainlet"
        origin = "display name" if chainlet.remote_config.name else "class name (its display name)"
        return (
            f"chainlet {origin} `{name}` may only contain ASCII letters, digits, `_` and `-`; "
            f'set e.g. `remote_config = chains.RemoteConfig(name="{fixed}")`'
        )


class DuplicateDisplayName(Rule):
    code = "CH715"
    name = "duplicate-display-name"
    summary = "Finds two chainlets of one chain with the same display name."
    why = (
        "Each chainlet is deployed as a service named after its display name; truss refuses "
        "a chain where two chainlets share one (a name set in a base class's `remote_config` "
        "is inherited by its subclasses)."
    )
    fix = "Give each chainlet its own `RemoteConfig(name=...)`, or rename a class."
    bad = """
import truss_chains as chains


class Tokenizer(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="Worker")

    async def run_remote(self, text: str) -> list[str]:
        return text.split()


@chains.mark_entrypoint
class Pipeline(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="Worker")

    def __init__(self, tokenizer: Tokenizer = chains.depends(Tokenizer)) -> None:
        self._tokenizer = tokenizer

    async def run_remote(self, text: str) -> int:
        return len(await self._tokenizer.run_remote(text))
"""
    bad_span = (5, 46, 5, 54)
    good = """
import truss_chains as chains


class Tokenizer(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="Tokenizer")

    async def run_remote(self, text: str) -> list[str]:
        return text.split()


@chains.mark_entrypoint
class Pipeline(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="Pipeline")

    def __init__(self, tokenizer: Tokenizer = chains.depends(Tokenizer)) -> None:
        self._tokenizer = tokenizer

    async def run_remote(self, text: str) -> int:
        return len(await self._tokenizer.run_remote(text))
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chain in _chains_in(ctx):
            by_name: dict[str, list[Chainlet]] = {}
            for chainlet in chain.chainlets:
                by_name.setdefault(chainlet.display_name, []).append(chainlet)
            for name, chainlets in by_name.items():
                if len(chainlets) < 2:
                    continue
                first = chainlets[0]
                for other in chainlets[1:]:
                    yield self.diagnostic(
                        _name_span(other),
                        f"chainlets `{first.name}` and `{other.name}` both have the display "
                        f"name `{name}`; give `{other.name}` its own "
                        "`remote_config = chains.RemoteConfig(name=...)`",
                        related=(_name_span(first),),
                    )


# The chains of each model by the path of their file (every linted file asks).
_CHAINS_BY_PATH: WeakKeyDictionary[ChainModel, tuple[int, dict[Path, list[Chain]]]] = (
    WeakKeyDictionary()
)


def _chains_in(ctx: RuleContext) -> list[Chain]:
    """The chains whose entrypoint is in the linted module, in model order."""
    model = ctx.model
    indexed = _CHAINS_BY_PATH.get(model)
    if indexed is None or indexed[0] != len(model.chains):
        by_path: dict[Path, list[Chain]] = {}
        for chain in model.chains:
            by_path.setdefault(chain.path, []).append(chain)
        indexed = (len(model.chains), by_path)
        _CHAINS_BY_PATH[model] = indexed
    return indexed[1].get(ctx.module.path, [])
