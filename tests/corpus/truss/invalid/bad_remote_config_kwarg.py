# truss: reject
# default: CH702
# truss-profile: CH702
# mistake: an unknown RemoteConfig keyword (gpu belongs in Compute)
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(gpu="A10G")

    async def run_remote(self, prompt: str) -> str:
        return prompt
