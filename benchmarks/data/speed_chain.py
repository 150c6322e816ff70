# mypy: ignore-errors
"""The two-chainlet chain of the speed benchmark (``benchmarks/chain_speed.py``).

``Shout`` (the entrypoint) passes its text to ``Upper`` and returns the answer: the cost
measured is one hop through the entrypoint plus one dependency call. ``bare_chain.py`` is the
same chain written by hand with FastAPI and httpx.
"""

import truss_chains as chains

# Both chainlets are async and may run many calls at once, as the bare chain does.
_CONCURRENT = chains.RemoteConfig(compute=chains.Compute(predict_concurrency=64))


class Upper(chains.ChainletBase):
    remote_config = _CONCURRENT

    async def run_remote(self, text: str) -> str:
        return text.upper()


@chains.mark_entrypoint
class Shout(chains.ChainletBase):
    remote_config = _CONCURRENT

    def __init__(self, upper: Upper = chains.depends(Upper, retries=1)) -> None:
        self._upper = upper

    async def run_remote(self, text: str) -> str:
        return await self._upper.run_remote(text)
