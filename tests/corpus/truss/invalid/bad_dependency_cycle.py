# truss: reject
# default: CH410, CH414
# truss-profile: CH410, CH414
# mistake: two chainlets that depend on each other (a cycle)
import truss_chains as chains


class Ping(chains.ChainletBase):
    def __init__(self, pong=chains.depends(Pong)) -> None:
        self._pong = pong

    async def run_remote(self, count: int) -> int:
        return 0 if count <= 0 else await self._pong.run_remote(count - 1)


@chains.mark_entrypoint
class Pong(chains.ChainletBase):
    def __init__(self, ping: Ping = chains.depends(Ping)) -> None:
        self._ping = ping

    async def run_remote(self, count: int) -> int:
        return 0 if count <= 0 else await self._ping.run_remote(count - 1)
