# truss: accept
# default: clean
# truss-profile: clean
# covers: a tuple return type, keyword-only and defaulted parameters
import truss_chains as chains


class Stats(chains.ChainletBase):
    async def run_remote(
        self, values: list[float], *, scale: float = 1.0, label: str = "stats"
    ) -> tuple[float, float, str]:
        if not values:
            return 0.0, 0.0, label
        return min(values) * scale, max(values) * scale, label
