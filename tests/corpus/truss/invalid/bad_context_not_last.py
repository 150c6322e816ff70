# truss: reject
# default: CH406
# truss-profile: CH406
# mistake: the context parameter is not the last __init__ parameter
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text


@chains.mark_entrypoint
class Relay(chains.ChainletBase):
    def __init__(
        self,
        context: chains.DeploymentContext = chains.depends_context(),
        echo: Echo = chains.depends(Echo),
    ) -> None:
        self._echo = echo
        self._context = context

    async def run_remote(self, text: str) -> str:
        return await self._echo.run_remote(text)
