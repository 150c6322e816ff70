# truss: reject
# default: CH111
# truss-profile: CH111
# mistake: run_remote yields but is annotated with a plain `str` return type
import truss_chains as chains


class Words(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        for word in text.split():
            yield word
