"""The chainlet the secrets rules use in their examples."""

_GATED_MODEL = """
import truss_chains as chains


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(secret_keys=["hf_access_token"]),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._token = READ

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""


def gated(read: str, keys: str = '["hf_access_token"]') -> str:
    """The example chainlet reading a secret with ``read``, declaring ``keys``."""
    return _GATED_MODEL.replace('["hf_access_token"]', keys).replace("READ", read)
