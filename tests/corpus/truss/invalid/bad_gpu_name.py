# truss: reject
# default: CH705
# truss-profile: CH705
# mistake: an unknown GPU name in Compute
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="RTX4090"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
