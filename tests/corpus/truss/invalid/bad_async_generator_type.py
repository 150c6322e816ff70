# truss: reject
# default: clean
# truss-profile: CH115
# mistake: a streaming run_remote annotated AsyncGenerator instead of AsyncIterator
from collections.abc import AsyncGenerator

import truss_chains as chains


class Words(chains.ChainletBase):
    async def run_remote(self, text: str) -> AsyncGenerator[str, None]:
        for word in text.split():
            yield word
