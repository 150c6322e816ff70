# truss: accept
# default: CH716
# truss-profile: CH716
# mistake: Assets(secret_keys=...) given a bare string instead of a list of names
# truss-misses: truss iterates the string, declaring one secret per character; `hf_access_token` is never available
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(assets=chains.Assets(secret_keys="hf_access_token"))

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._token = context.secrets["hf_access_token"]

    async def run_remote(self, prompt: str) -> str:
        return prompt
