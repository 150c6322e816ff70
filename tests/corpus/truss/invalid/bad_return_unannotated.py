# truss: reject
# default: CH105
# truss-profile: CH105
# mistake: run_remote without a return annotation
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str):
        return f"Hello, {name}"
