# truss: accept
# default: CH307
# truss-profile: CH307
# mistake: a chainlet defined inside a function
# truss-misses: the nested class is not a module attribute, so its deployment cannot import it
import truss_chains as chains


def make_helper() -> type:
    class Helper(chains.ChainletBase):
        async def run_remote(self, text: str) -> str:
            return text.upper()

    return Helper


@chains.mark_entrypoint
class Entry(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text
