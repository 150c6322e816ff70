"""Example chains shared by the documentation of several rules."""

from __future__ import annotations

# A chain file's opening: the SDK import and a chainlet to depend on.
SAY_HELLO = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

HELLO_CHAIN = SAY_HELLO + """

@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])
"""

SAY_BYE = """

class SayBye(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Bye, {name}"
"""
