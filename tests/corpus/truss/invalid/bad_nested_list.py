# truss: reject
# default: clean
# truss-profile: CH252
# mistake: a nested container list[list[float]] (truss only; pydantic carries it fine)
import truss_chains as chains


class Matrix(chains.ChainletBase):
    async def run_remote(self, rows: list[list[float]]) -> float:
        return sum(sum(row) for row in rows)
