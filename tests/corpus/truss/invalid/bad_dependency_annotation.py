# truss: reject
# default: CH413
# truss-profile: CH413
# mistake: a dependency parameter annotated with a different chainlet class
import truss_chains as chains


class Upper(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text.upper()


class Lower(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text.lower()


@chains.mark_entrypoint
class Caser(chains.ChainletBase):
    def __init__(self, upper: Lower = chains.depends(Upper)) -> None:
        self._upper = upper

    async def run_remote(self, text: str) -> str:
        return await self._upper.run_remote(text)
