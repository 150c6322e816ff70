# truss: reject
# default: CH715
# truss-profile: CH715
# mistake: two chainlets of one chain with the same display name
import truss_chains as chains


class Upper(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="worker")

    async def run_remote(self, text: str) -> str:
        return text.upper()


@chains.mark_entrypoint
class Shout(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="worker")

    def __init__(self, upper: Upper = chains.depends(Upper)) -> None:
        self._upper = upper

    async def run_remote(self, text: str) -> str:
        return await self._upper.run_remote(text) + "!"
