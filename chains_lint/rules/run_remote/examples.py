"""Example chainlets shared by the documentation of several ``run_remote`` rules.

The rules' examples differ from each other in one line (the ``def`` of the
endpoint); these build them from that line so that the rest is written once.
"""

from __future__ import annotations


def hello(definition: str, *, decorator: str = "", body: str = 'return f"Hello, {name}"') -> str:
    """A ``Hello`` chainlet whose only method starts with ``definition``."""
    decorated = f"{decorator}\n    " if decorator else ""
    return f"""
import truss_chains as chains


class Hello(chains.ChainletBase):
    {decorated}{definition}
        {body}
"""


def count(returns: str, *, imported: str = "", define: str = "async def") -> str:
    """A ``Count`` chainlet that streams ``n`` numbers, annotated to return ``returns``."""
    import_line = f"from collections.abc import {imported}\n\n" if imported else ""
    return f"""
{import_line}import truss_chains as chains


class Count(chains.ChainletBase):
    {define} run_remote(self, n: int) -> {returns}:
        for i in range(n):
            yield str(i)
"""


HELLO = hello("async def run_remote(self, name: str) -> str:")
COUNT = count("AsyncIterator[str]", imported="AsyncIterator")
