# Not a corpus entry: a module that bad_imported_chainlet_no_entrypoint.py imports.
import truss_chains as chains


class Upper(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text.upper()
