# Not a corpus entry: a module that bad_imported_module_error.py imports.
from typing import Optional

import truss_chains as chains


class Helper(chains.ChainletBase):
    async def run_remote(self, text: Optional[str]) -> str:
        return text or ""
