# truss: reject
# default: CH201
# truss-profile: CH201
# mistake: a plain (non-pydantic) class as run_remote input
import truss_chains as chains


class Point:
    def __init__(self, x: float, y: float) -> None:
        self.x = x
        self.y = y


class Norm(chains.ChainletBase):
    async def run_remote(self, point: Point) -> float:
        return (point.x**2 + point.y**2) ** 0.5
