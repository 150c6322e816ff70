# truss: accept
# default: CH110
# truss-profile: CH110
# covers: a synchronous run_remote in a caller, calling a synchronous dependency without await
import truss_chains as chains


class Add(chains.ChainletBase):
    def run_remote(self, a: int, b: int) -> int:
        return a + b


@chains.mark_entrypoint
class Total(chains.ChainletBase):
    def __init__(self, add: Add = chains.depends(Add)) -> None:
        self._add = add

    def run_remote(self, values: list[int]) -> int:
        total = 0
        for value in values:
            total = self._add.run_remote(total, value)
        return total
