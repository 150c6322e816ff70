# truss: accept
# default: clean
# truss-profile: clean
# covers: concurrent dependency calls with asyncio.create_task and asyncio.gather
import asyncio

import truss_chains as chains


class Square(chains.ChainletBase):
    async def run_remote(self, value: int) -> int:
        return value * value


@chains.mark_entrypoint
class SumOfSquares(chains.ChainletBase):
    def __init__(self, square: Square = chains.depends(Square)) -> None:
        self._square = square

    async def run_remote(self, values: list[int]) -> int:
        tasks = [asyncio.create_task(self._square.run_remote(v)) for v in values]
        squares = await asyncio.gather(*tasks)
        extra = await asyncio.gather(self._square.run_remote(1), self._square.run_remote(2))
        return sum(squares) + sum(extra)
