# truss: reject
# default: CH301
# truss-profile: CH301
# mistake: two chainlets marked as entrypoint in one file
import truss_chains as chains


@chains.mark_entrypoint
class First(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text


@chains.mark_entrypoint
class Second(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text[::-1]
