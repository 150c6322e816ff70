# truss: reject
# default: CH201
# truss-profile: CH201
# mistake: typing.Any as a run_remote parameter type
from typing import Any

import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, payload: Any) -> str:
        return repr(payload)
