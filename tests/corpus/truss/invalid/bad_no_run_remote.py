# truss: reject
# default: CH101
# truss-profile: CH101
# mistake: a chainlet without a run_remote method (misspelled `run_remotely`)
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remotely(self, name: str) -> str:
        return f"Hello, {name}"
