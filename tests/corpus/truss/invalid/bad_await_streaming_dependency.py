# truss: accept
# default: CH503
# truss-profile: CH503
# mistake: awaiting a call to a streaming dependency instead of iterating it with `async for`
# truss-misses: truss does not look at calls; awaiting the stub's async generator raises TypeError at run time
import truss_chains as chains
from collections.abc import AsyncIterator


class Words(chains.ChainletBase):
    async def run_remote(self, text: str) -> AsyncIterator[str]:
        for word in text.split():
            yield word


@chains.mark_entrypoint
class Joined(chains.ChainletBase):
    def __init__(self, words: Words = chains.depends(Words)) -> None:
        self._words = words

    async def run_remote(self, text: str) -> str:
        words = await self._words.run_remote(text)
        return " ".join(words)
