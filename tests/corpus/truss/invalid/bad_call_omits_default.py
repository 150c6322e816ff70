# truss: accept
# default: clean
# truss-profile: CH510
# mistake: a dependency call that leaves out a parameter with a default (truss stubs drop defaults)
# truss-misses: truss generates the dependency stub without parameter defaults, so the deployed call raises TypeError
import truss_chains as chains


class Truncate(chains.ChainletBase):
    async def run_remote(self, text: str, limit: int = 10) -> str:
        return text[:limit]


@chains.mark_entrypoint
class Preview(chains.ChainletBase):
    def __init__(self, truncate: Truncate = chains.depends(Truncate)) -> None:
        self._truncate = truncate

    async def run_remote(self, text: str) -> str:
        return await self._truncate.run_remote(text)
