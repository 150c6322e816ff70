# truss: reject
# default: clean
# truss-profile: CH412
# mistake: the same chainlet class injected into two __init__ parameters
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text


@chains.mark_entrypoint
class Twice(chains.ChainletBase):
    def __init__(
        self,
        first: Echo = chains.depends(Echo),
        second: Echo = chains.depends(Echo, retries=3),
    ) -> None:
        self._first = first
        self._second = second

    async def run_remote(self, text: str) -> str:
        return await self._first.run_remote(text) + await self._second.run_remote(text)
