# truss: reject
# default: CH701
# truss-profile: CH701
# mistake: remote_config assigned a plain dict instead of chains.RemoteConfig
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = {"compute": {"gpu": "A10G"}}

    async def run_remote(self, prompt: str) -> str:
        return prompt
