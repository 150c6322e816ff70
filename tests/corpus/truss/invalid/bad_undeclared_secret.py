# truss: accept
# default: CH601
# truss-profile: CH601
# mistake: a secret read from the context but not declared in Assets(secret_keys=...)
# truss-misses: truss never compares secret reads with secret_keys; the read raises KeyError once deployed
import truss_chains as chains


class MistralLLM(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="A10G"))

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._token = context.secrets["hf_access_token"]

    async def run_remote(self, prompt: str) -> str:
        return prompt
