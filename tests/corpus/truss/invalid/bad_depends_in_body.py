# truss: accept
# default: CH404
# truss-profile: CH404
# mistake: chains.depends called inside the body of __init__ instead of as a default
# truss-misses: truss only inspects __init__ defaults; the marker raises ChainsRuntimeError on first use at run time
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self) -> None:
        self._say_hello = chains.depends(SayHello)

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
