# truss: accept
# default: clean
# truss-profile: clean
# covers: subclassing a chainlet: new remote_config and a run_remote that calls super()
import truss_chains as chains


class Double(chains.ChainletBase):
    async def run_remote(self, number: int) -> int:
        return 2 * number


class Reciprocal(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        compute=chains.Compute(cpu_count=1, memory="512Mi"),
        options=chains.ChainletOptions(enable_b10_tracing=True),
    )

    def __init__(self, double: Double = chains.depends(Double)) -> None:
        self._double = double

    async def run_remote(self, number: int) -> float:
        return 1.0 / await self._double.run_remote(number)


@chains.mark_entrypoint
class ReciprocalOnBigMachine(Reciprocal):
    remote_config = chains.RemoteConfig(
        compute=chains.Compute(cpu_count=8, memory="8Gi", predict_concurrency=8),
    )

    async def run_remote(self, number: int) -> float:
        return round(await super().run_remote(number), 3)
