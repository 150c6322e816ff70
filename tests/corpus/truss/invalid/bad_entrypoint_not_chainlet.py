# truss: reject
# default: CH304
# truss-profile: CH304
# mistake: mark_entrypoint on a class that is not a chainlet
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class Settings:
    greeting = "Hello"
