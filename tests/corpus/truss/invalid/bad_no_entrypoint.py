# truss: reject
# default: CH305
# truss-profile: CH305
# mistake: several chainlets and none marked as entrypoint
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
