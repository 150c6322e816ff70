# truss: accept
# default: CH508
# truss-profile: CH508
# mistake: a dependency call with more positional arguments than run_remote takes
# truss-misses: truss does not check calls between chainlets; the stub raises TypeError at run time
import truss_chains as chains


class Square(chains.ChainletBase):
    async def run_remote(self, value: int) -> int:
        return value * value


@chains.mark_entrypoint
class Squares(chains.ChainletBase):
    def __init__(self, square: Square = chains.depends(Square)) -> None:
        self._square = square

    async def run_remote(self, a: int, b: int) -> int:
        return await self._square.run_remote(a, b)
