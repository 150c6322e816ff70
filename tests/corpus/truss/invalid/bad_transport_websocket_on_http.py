# truss: reject
# default: CH724
# truss-profile: CH724
# mistake: WebsocketOptions given to a chainlet whose run_remote is HTTP
import truss_chains as chains
from truss.base import truss_config


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        options=chains.ChainletOptions(
            transport=truss_config.WebsocketOptions(ping_interval_seconds=10)
        )
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
