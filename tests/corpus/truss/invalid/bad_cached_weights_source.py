# truss: reject
# default: CH725
# truss-profile: CH725
# mistake: a WeightsSource put in Assets(cached=...) instead of Assets(weights=...)
import truss_chains as chains
from truss.base.truss_config import WeightsSource


class Transcribe(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            cached=[WeightsSource(source="hf://openai/whisper-tiny", mount_location="/models/w")]
        )
    )

    async def run_remote(self, url: str) -> str:
        return url
