"""The ``Split`` chainlet shared by the documentation of several I/O type rules."""

from __future__ import annotations


def split(returns: str, *, imports: str = "", body: str = "return text.split()") -> str:
    """A ``Split`` chainlet returning the words of a text, annotated as ``returns``."""
    return f"""
{imports}import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> {returns}:
        {body}
"""


SPLIT = split("list[str]")
