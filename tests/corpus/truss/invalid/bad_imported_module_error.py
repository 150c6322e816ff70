# truss: reject
# default: clean
# truss-profile: CH251
# mistake: the chain file is fine, but a local module it imports has a chainlet truss rejects
import truss_chains as chains
from _optional_helper import Helper


@chains.mark_entrypoint
class Entry(chains.ChainletBase):
    def __init__(self, helper: Helper = chains.depends(Helper)) -> None:
        self._helper = helper

    async def run_remote(self, text: str) -> str:
        return await self._helper.run_remote(text)
