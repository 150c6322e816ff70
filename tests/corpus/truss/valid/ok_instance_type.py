# truss: accept
# default: clean
# truss-profile: clean
# covers: Compute(instance_type=...) instead of individual resource fields
import truss_chains as chains


class BigModel(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        compute=chains.Compute(instance_type="H100:8x80"),
    )

    async def run_remote(self, tokens: list[int]) -> int:
        return len(tokens)
