# truss: reject
# default: clean
# truss-profile: CH257
# mistake: a variable-length `tuple[int, ...]` return type
import truss_chains as chains


class Lengths(chains.ChainletBase):
    async def run_remote(self, words: list[str]) -> tuple[int, ...]:
        return tuple(len(word) for word in words)
