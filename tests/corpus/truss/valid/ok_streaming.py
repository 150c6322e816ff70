# truss: accept
# default: clean
# truss-profile: clean
# covers: a streaming run_remote (async generator typed AsyncIterator[str]) consumed by a caller
from collections.abc import AsyncIterator

import truss_chains as chains


class Generator(chains.ChainletBase):
    async def run_remote(self, prompt: str, max_tokens: int = 16) -> AsyncIterator[str]:
        for index, word in enumerate(prompt.split()):
            if index >= max_tokens:
                break
            yield word


@chains.mark_entrypoint
class Collector(chains.ChainletBase):
    def __init__(self, generator: Generator = chains.depends(Generator)) -> None:
        self._generator = generator

    async def run_remote(self, prompt: str) -> str:
        words = []
        async for word in self._generator.run_remote(prompt, max_tokens=32):
            words.append(word)
        return " ".join(words)
