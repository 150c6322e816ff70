# truss: reject
# default: CH402
# truss-profile: CH402
# mistake: chains.depends on a class that is not a chainlet
import truss_chains as chains


class Helper:
    async def run_remote(self, text: str) -> str:
        return text.strip()


class Cleaner(chains.ChainletBase):
    def __init__(self, helper: Helper = chains.depends(Helper)) -> None:
        self._helper = helper

    async def run_remote(self, text: str) -> str:
        return await self._helper.run_remote(text)
