# truss: accept
# default: clean
# truss-profile: clean
# covers: an unannotated context parameter and an unannotated dependency parameter
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text


@chains.mark_entrypoint
class Relay(chains.ChainletBase):
    remote_config = chains.RemoteConfig(assets=chains.Assets(secret_keys=["relay_key"]))

    def __init__(self, echo=chains.depends(Echo), context=chains.depends_context()) -> None:
        self._echo = echo
        self._key = context.secrets["relay_key"]

    async def run_remote(self, text: str) -> str:
        return await self._echo.run_remote(text)
