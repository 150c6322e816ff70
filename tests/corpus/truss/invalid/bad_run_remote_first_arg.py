# truss: reject
# default: CH103
# truss-profile: CH103
# mistake: run_remote whose first parameter is not called `self`
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(this, name: str) -> str:
        return f"Hello, {name}"
