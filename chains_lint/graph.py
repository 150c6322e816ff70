"""The dependency graph of a chain, as Mermaid."""

from __future__ import annotations

from chains_lint.model.types import ChainModel


def mermaid(model: ChainModel) -> str:
    """Placeholder: implemented with the dependency rules."""
    return "graph TD\n"
