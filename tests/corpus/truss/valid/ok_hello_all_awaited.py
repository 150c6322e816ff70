# truss: accept
# default: clean
# truss-profile: clean
# covers: the concept guide's HelloAll with its dependency calls awaited
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
            output.append(await self._say_hello.run_remote(name))
        return "\n".join(output)
