# truss: reject
# default: clean
# truss-profile: CH251
# mistake: Optional[...] parameter (truss only; pydantic carries it fine)
from typing import Optional

import truss_chains as chains


class Greeter(chains.ChainletBase):
    async def run_remote(self, name: Optional[str] = None) -> str:
        return f"Hello, {name or 'world'}"
