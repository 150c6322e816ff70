"""The concept guide's HelloAll chain, with its bug fixed.

The guide appends ``self._say_hello.run_remote(name)`` to a list without
awaiting it, so the chain joins coroutine objects and fails at run time
(chains-lint reports that as CH501). Here the calls run concurrently and are
awaited together.
"""

import asyncio

import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello_chainlet: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello_chainlet

    async def run_remote(self, names: list[str]) -> str:
        greetings = await asyncio.gather(*(self._say_hello.run_remote(n) for n in names))
        return "\n".join(greetings)
