# truss: accept
# default: CH501
# truss-profile: CH501
# mistake: the concept guide's HelloAll: dependency calls are never awaited
# truss-misses: truss does not look inside run_remote; the join fails at run time on coroutines
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello_chainlet=chains.depends(SayHello)) -> None:
        self._say_hello = say_hello_chainlet

    async def run_remote(self, names: list[str]) -> str:
        output = []
        for name in names:
            output.append(self._say_hello.run_remote(name))
        return "\n".join(output)
