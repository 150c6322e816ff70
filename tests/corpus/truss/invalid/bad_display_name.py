# truss: reject
# default: CH714
# truss-profile: CH714
# mistake: a chainlet display name with spaces and punctuation
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(name="My Model!")

    async def run_remote(self, prompt: str) -> str:
        return prompt
