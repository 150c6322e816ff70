# truss: reject
# default: CH116
# truss-profile: CH116
# mistake: a chainlet inherits is_healthy with a required parameter from a plain mixin class
import truss_chains as chains


class Probe:
    def is_healthy(self, deep: bool) -> bool:
        return not deep


class Model(Probe, chains.ChainletBase):
    async def run_remote(self, prompt: str) -> str:
        return prompt
