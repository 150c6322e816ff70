# truss: reject
# default: CH204
# truss-profile: CH204, CH255
# mistake: a bare `list` return annotation without an item type
import truss_chains as chains


class Split(chains.ChainletBase):
    async def run_remote(self, text: str) -> list:
        return text.split()
