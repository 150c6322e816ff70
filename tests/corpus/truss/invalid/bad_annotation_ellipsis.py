# truss: reject
# default: CH202
# truss-profile: CH260
# mistake: `...` as the annotation of a run_remote parameter
import truss_chains as chains


class Model(chains.ChainletBase):
    async def run_remote(self, prompt: ...) -> str:
        return str(prompt)
