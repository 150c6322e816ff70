# truss: reject
# default: CH404
# truss-profile: CH404
# mistake: chains.depends used as a class attribute instead of an __init__ default
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    say_hello = chains.depends(SayHello)

    async def run_remote(self, names: list[str]) -> str:
        return "\n".join([await self.say_hello.run_remote(n) for n in names])
