"""Chains the rules of this package use in their examples.

Each example is a dependency chainlet and an entrypoint that calls it; the
rules write out only what differs between their bad and good examples: the
entrypoint's ``run_remote``.
"""

from __future__ import annotations

import re
import textwrap

SAY_HELLO = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

STREAMER = """
from collections.abc import AsyncIterator

import truss_chains as chains


class Tokens(chains.ChainletBase):
    async def run_remote(self, prompt: str) -> AsyncIterator[str]:
        for word in prompt.split():
            yield word
"""

_ENTRYPOINT = """

@chains.mark_entrypoint
class CALLER(chains.ChainletBase):
    def __init__(self, PARAM: CALLEE = chains.depends(CALLEE)) -> None:
        self._PARAM = PARAM

"""


def entrypoint_calling(callee: str, caller: str, run_remote: str) -> str:
    """An entrypoint ``caller`` depending on the chainlet ``callee`` with this ``run_remote``.

    The dependency is stored as ``self._<callee in snake case>``; ``run_remote``
    is the method's text, indented in any way.
    """
    param = re.sub(r"(?<!^)(?=[A-Z])", "_", callee).lower()
    header = _ENTRYPOINT.replace("CALLER", caller).replace("CALLEE", callee)
    method = textwrap.indent(textwrap.dedent(run_remote).strip("\n"), "    ")
    return header.replace("PARAM", param) + method + "\n"
