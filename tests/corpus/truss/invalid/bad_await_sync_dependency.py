# truss: accept
# default: CH110, CH502
# truss-profile: CH110, CH502
# mistake: awaiting a dependency whose run_remote is synchronous
# truss-misses: truss does not look at calls; awaiting the returned value raises TypeError at run time
import truss_chains as chains


class Add(chains.ChainletBase):
    def run_remote(self, a: int, b: int) -> int:
        return a + b


@chains.mark_entrypoint
class Total(chains.ChainletBase):
    def __init__(self, add: Add = chains.depends(Add)) -> None:
        self._add = add

    async def run_remote(self, values: list[int]) -> int:
        total = 0
        for value in values:
            total = await self._add.run_remote(total, value)
        return total
