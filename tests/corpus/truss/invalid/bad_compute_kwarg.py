# truss: reject
# default: CH702
# truss-profile: CH702
# mistake: an unknown Compute keyword (`gpus` instead of `gpu_count`)
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="A10G", gpus=2))

    async def run_remote(self, prompt: str) -> str:
        return prompt
