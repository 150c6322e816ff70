# truss: accept
# default: clean
# truss-profile: clean
# covers: the simplest chainlet, one async `run_remote`
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
