# truss: accept
# default: CH106
# truss-profile: CH106
# mistake: *args in run_remote (a JSON request has no positional tail)
# truss-misses: truss accepts `*words`; the generated server passes `words=` by keyword and run_remote raises TypeError
import truss_chains as chains


class Joiner(chains.ChainletBase):
    async def run_remote(self, *words: str) -> str:
        return " ".join(words)
