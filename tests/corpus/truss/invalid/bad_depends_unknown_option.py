# truss: reject
# default: CH407
# truss-profile: CH407
# mistake: a chains.depends option that does not exist (`retry` instead of `retries`)
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text


@chains.mark_entrypoint
class Relay(chains.ChainletBase):
    def __init__(self, echo: Echo = chains.depends(Echo, retry=3)) -> None:
        self._echo = echo

    async def run_remote(self, text: str) -> str:
        return await self._echo.run_remote(text)
