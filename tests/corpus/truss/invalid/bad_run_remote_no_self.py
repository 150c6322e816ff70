# truss: reject
# default: CH102
# truss-profile: CH102
# mistake: run_remote declared as a staticmethod, without `self`
import truss_chains as chains


class SayHello(chains.ChainletBase):
    @staticmethod
    async def run_remote(name: str) -> str:
        return f"Hello, {name}"
