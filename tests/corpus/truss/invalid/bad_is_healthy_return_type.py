# truss: reject
# default: clean
# truss-profile: CH117
# mistake: is_healthy is annotated Optional[bool] instead of bool
from typing import Optional

import truss_chains as chains


class Model(chains.ChainletBase):
    async def is_healthy(self) -> Optional[bool]:
        return True

    async def run_remote(self, prompt: str) -> str:
        return prompt
