# truss: accept
# default: clean
# truss-profile: clean
# covers: mark_entrypoint with a chain display name
import truss_chains as chains


class Upper(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text.upper()


@chains.mark_entrypoint("My Awesome Chain")
class Shout(chains.ChainletBase):
    def __init__(self, upper: Upper = chains.depends(Upper)) -> None:
        self._upper = upper

    async def run_remote(self, text: str) -> str:
        return await self._upper.run_remote(text) + "!"
