# truss: reject
# default: CH112
# truss-profile: CH112
# mistake: run_remote annotated as an AsyncIterator but never yields
from collections.abc import AsyncIterator

import truss_chains as chains


class Words(chains.ChainletBase):
    async def run_remote(self, text: str) -> AsyncIterator[str]:
        return iter(text.split())
