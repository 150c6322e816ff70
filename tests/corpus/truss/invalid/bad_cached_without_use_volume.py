# truss: reject
# default: clean
# truss-profile: CH726
# mistake: a cached ModelRepo without use_volume, which truss requires
import truss_chains as chains
from truss.base import truss_config


class Transcribe(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            cached=[truss_config.ModelRepo(repo_id="openai/whisper-tiny", allow_patterns=["*.json"])]
        )
    )

    async def run_remote(self, url: str) -> str:
        return url
