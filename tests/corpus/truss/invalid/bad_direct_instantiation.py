# truss: accept
# default: CH411
# truss-profile: CH411
# mistake: a dependency instantiated directly in __init__ instead of injected with chains.depends
# truss-misses: truss detects naive instantiation only under run_local, not at import or push
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self) -> None:
        self._say_hello = SayHello()

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self._say_hello.run_remote(n) for n in names])
