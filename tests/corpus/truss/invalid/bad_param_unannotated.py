# truss: reject
# default: CH104
# truss-profile: CH104
# mistake: a run_remote parameter without a type annotation
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name) -> str:
        return f"Hello, {name}"
