# truss: accept
# default: CH506
# truss-profile: CH506
# mistake: a dependency call that omits a required argument
# truss-misses: truss does not check calls between chainlets; the stub raises TypeError at run time
import truss_chains as chains


class Add(chains.ChainletBase):
    async def run_remote(self, a: int, b: int) -> int:
        return a + b


@chains.mark_entrypoint
class Calculator(chains.ChainletBase):
    def __init__(self, add: Add = chains.depends(Add)) -> None:
        self._add = add

    async def run_remote(self, value: int) -> int:
        return await self._add.run_remote(value)
