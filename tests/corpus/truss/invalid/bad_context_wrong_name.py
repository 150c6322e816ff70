# truss: reject
# default: CH406
# truss-profile: CH406
# mistake: depends_context() on a parameter not named `context`
import truss_chains as chains


class Reader(chains.ChainletBase):
    def __init__(self, ctx: chains.DeploymentContext = chains.depends_context()) -> None:
        self._ctx = ctx

    async def run_remote(self, key: str) -> bool:
        return self._ctx is not None
