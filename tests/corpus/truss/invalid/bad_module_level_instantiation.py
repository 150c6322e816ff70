# truss: accept
# default: CH411
# truss-profile: CH411
# mistake: a chainlet instantiated at module level
# truss-misses: truss detects naive instantiation only under run_local, not at import or push
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


DEFAULT_GREETER = SayHello()
