# truss: accept
# default: clean
# truss-profile: clean
# covers: a chain of three chainlets where one dependency is used by two others
import truss_chains as chains


class Normalize(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return " ".join(text.lower().split())


class Count(chains.ChainletBase):
    def __init__(self, normalize: Normalize = chains.depends(Normalize)) -> None:
        self._normalize = normalize

    async def run_remote(self, text: str) -> int:
        return len((await self._normalize.run_remote(text)).split())


@chains.mark_entrypoint
class Report(chains.ChainletBase):
    def __init__(
        self,
        count: Count = chains.depends(Count),
        normalize: Normalize = chains.depends(Normalize, retries=2),
    ) -> None:
        self._count = count
        self._normalize = normalize

    async def run_remote(self, text: str) -> str:
        words = await self._count.run_remote(text=text)
        clean = await self._normalize.run_remote(text)
        return f"{words}: {clean}"
