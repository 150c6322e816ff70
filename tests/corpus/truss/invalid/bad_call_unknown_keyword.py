# truss: accept
# default: CH507
# truss-profile: CH507
# mistake: a dependency call with a keyword the dependency's run_remote does not have
# truss-misses: truss does not check calls between chainlets; the stub raises TypeError at run time
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class Greeter(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> str:
        return await self._say_hello.run_remote(nme=name)
