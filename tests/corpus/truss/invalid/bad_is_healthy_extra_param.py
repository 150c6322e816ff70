# truss: reject
# default: CH116
# truss-profile: CH116
# mistake: is_healthy takes a required parameter besides self
import truss_chains as chains


class Model(chains.ChainletBase):
    def is_healthy(self, deep: bool) -> bool:
        return not deep

    async def run_remote(self, prompt: str) -> str:
        return prompt
