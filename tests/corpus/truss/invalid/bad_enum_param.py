# truss: reject
# default: clean
# truss-profile: CH256
# mistake: an enum used directly as a run_remote parameter type, not inside a pydantic model
import enum

import truss_chains as chains


class Mode(enum.Enum):
    FAST = "fast"
    SLOW = "slow"


class Runner(chains.ChainletBase):
    async def run_remote(self, mode: Mode) -> str:
        return mode.value
