# truss: accept
# default: CH108
# truss-profile: CH108
# mistake: a run_remote parameter whose name starts with an underscore (pydantic drops it)
# truss-misses: pydantic makes `_factor` a private attribute of the generated request model, so the caller's value is dropped
import truss_chains as chains


class Scale(chains.ChainletBase):
    async def run_remote(self, value: float, _factor: float = 2.0) -> float:
        return value * _factor
