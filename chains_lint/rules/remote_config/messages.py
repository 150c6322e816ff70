"""Pieces of wording the group's messages share."""

from __future__ import annotations

import difflib

from chains_lint.model.types import StaticValue

_MAX_SHOWN = 40

CPU_ONLY_HINT = "leave out `gpu` for a CPU-only chainlet"


def shown(value: StaticValue) -> str:
    """The source text of ``value`` on one line, shortened to fit a message."""
    text = " ".join(value.text.split())
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def closest(word: str, choices: tuple[str, ...] | list[str]) -> str | None:
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def constructor(symbol: str) -> str:
    return f"chains.{symbol}(...)"
