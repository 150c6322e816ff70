# truss: reject
# default: CH202
# truss-profile: CH260
# mistake: a run_remote annotation naming a class that is never imported
import truss_chains as chains


class Model(chains.ChainletBase):
    async def run_remote(self, request: list[Request]) -> str:
        return str(request)
