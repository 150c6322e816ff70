# truss: accept
# default: clean
# truss-profile: clean
# covers: depends_context next to a dependency, secrets declared and read with .get
import truss_chains as chains


class Tokenizer(chains.ChainletBase):
    async def run_remote(self, text: str) -> list[str]:
        return text.split()


@chains.mark_entrypoint
class Guarded(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(secret_keys=["hf_access_token", "openai_api_key"]),
    )

    def __init__(
        self,
        tokenizer: Tokenizer = chains.depends(Tokenizer),
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        self._tokenizer = tokenizer
        self._hf_token = context.secrets["hf_access_token"]
        self._openai_key = context.secrets.get("openai_api_key")

    async def run_remote(self, text: str) -> int:
        words = await self._tokenizer.run_remote(text)
        return len(words) + len(self._hf_token)
