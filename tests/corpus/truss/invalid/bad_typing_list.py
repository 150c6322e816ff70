# truss: reject
# default: clean
# truss-profile: CH253
# mistake: typing.List[str] instead of list[str] (truss only)
from typing import List

import truss_chains as chains


class Count(chains.ChainletBase):
    async def run_remote(self, words: List[str]) -> int:
        return len(words)
