# truss: accept
# default: clean
# truss-profile: clean
# covers: a run_remote that returns None, called and awaited by the entrypoint
import truss_chains as chains


class Logger(chains.ChainletBase):
    async def run_remote(self, message: str) -> None:
        print(message)


@chains.mark_entrypoint
class Job(chains.ChainletBase):
    def __init__(self, logger: Logger = chains.depends(Logger)) -> None:
        self._logger = logger

    async def run_remote(self, steps: int) -> int:
        for step in range(steps):
            await self._logger.run_remote(f"step {step}")
        return steps
