# truss: reject
# default: clean
# truss-profile: CH254
# mistake: a set[str] parameter
import truss_chains as chains


class Unique(chains.ChainletBase):
    async def run_remote(self, words: set[str]) -> int:
        return len(words)
