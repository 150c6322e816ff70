# truss: reject
# default: CH110
# truss-profile: CH110, CH114
# mistake: a synchronous generator as a streaming run_remote
from collections.abc import Iterator

import truss_chains as chains


class Words(chains.ChainletBase):
    def run_remote(self, text: str) -> Iterator[str]:
        yield from text.split()
