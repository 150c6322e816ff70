# truss: reject
# default: clean
# truss-profile: CH250
# mistake: `from __future__ import annotations` turns the annotations into strings (truss only)
from __future__ import annotations

import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
