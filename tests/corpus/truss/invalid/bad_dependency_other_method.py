# truss: accept
# default: CH511
# truss-profile: CH511
# mistake: calling a dependency method other than run_remote (the remote stub has only run_remote)
# truss-misses: truss does not look at calls; the injected stub raises AttributeError at run time
import truss_chains as chains


class Tokenizer(chains.ChainletBase):
    def vocabulary_size(self) -> int:
        return 32000

    async def run_remote(self, text: str) -> list[str]:
        return text.split()


@chains.mark_entrypoint
class Budget(chains.ChainletBase):
    def __init__(self, tokenizer: Tokenizer = chains.depends(Tokenizer)) -> None:
        self._tokenizer = tokenizer

    async def run_remote(self, text: str) -> float:
        tokens = await self._tokenizer.run_remote(text)
        return len(tokens) / self._tokenizer.vocabulary_size()
