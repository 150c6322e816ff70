# truss: reject
# default: clean
# truss-profile: CH258
# mistake: a stream of int items (streams carry only str or bytes)
from collections.abc import AsyncIterator

import truss_chains as chains


class Counter(chains.ChainletBase):
    async def run_remote(self, limit: int) -> AsyncIterator[int]:
        for value in range(limit):
            yield value
