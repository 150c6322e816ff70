# truss: reject
# default: clean
# truss-profile: CH003
# mistake: a chainlet deriving from ChainletBase without importing it
import truss_chains as chains


class Model(ChainletBase):
    async def run_remote(self, prompt: str) -> str:
        return prompt


@chains.mark_entrypoint
class Entry(chains.ChainletBase):
    async def run_remote(self, prompt: str) -> str:
        return prompt
