# truss: accept
# default: clean
# truss-profile: clean
# covers: an AsyncIterator[bytes] stream from the typing module
from typing import AsyncIterator

import truss_chains as chains


class Chunks(chains.ChainletBase):
    remote_config = chains.RemoteConfig(options=chains.ChainletOptions(streaming_read_timeout=120))

    async def run_remote(self, data: bytes, size: int = 4) -> AsyncIterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]
