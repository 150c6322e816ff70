# truss: reject
# default: CH725
# truss-profile: CH725
# mistake: a cached ModelRepo with use_volume=True and no volume_folder
import truss_chains as chains
from truss.base import truss_config

WHISPER = truss_config.ModelRepo(
    repo_id="openai/whisper-tiny",
    revision="169d4a4341b33bc18d8881c4b69c2e104e1cc0af",
    use_volume=True,
)


class Transcribe(chains.ChainletBase):
    remote_config = chains.RemoteConfig(assets=chains.Assets(cached=[WHISPER]))

    async def run_remote(self, url: str) -> str:
        return url
