# truss: accept
# default: clean
# truss-profile: clean
# covers: module constants, helper functions, private helper methods and a health check
import truss_chains as chains

GREETING = "Hello"


def _format(name: str) -> str:
    return f"{GREETING}, {name}"


class Greeter(chains.ChainletBase):
    def __init__(self) -> None:
        self._calls = 0

    def _count(self) -> int:
        self._calls += 1
        return self._calls

    async def is_healthy(self) -> bool:
        return True

    async def run_remote(self, name: str) -> str:
        return f"{_format(name)} #{self._count()}"
