# truss: reject
# default: clean
# truss-profile: CH306
# mistake: a chainlet imported by name next to the only chainlet defined here, and no entrypoint mark
import truss_chains as chains
from _shared_chainlets import Upper


class Shout(chains.ChainletBase):
    def __init__(self, upper: Upper = chains.depends(Upper)) -> None:
        self._upper = upper

    async def run_remote(self, text: str) -> str:
        return await self._upper.run_remote(text) + "!"
