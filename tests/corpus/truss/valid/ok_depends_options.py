# truss: accept
# default: clean
# truss-profile: clean
# covers: chains.depends with RPC options and an annotated dependency parameter
import truss_chains as chains


class Embedder(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="T4"))

    async def run_remote(self, texts: list[str]) -> list[float]:
        return [float(len(t)) for t in texts]


@chains.mark_entrypoint
class Search(chains.ChainletBase):
    def __init__(
        self,
        embedder: Embedder = chains.depends(
            Embedder, retries=3, timeout_sec=30.0, concurrency_limit=16
        ),
    ) -> None:
        self._embedder = embedder

    async def run_remote(self, query: str) -> float:
        vectors = await self._embedder.run_remote(texts=[query])
        return sum(vectors)
