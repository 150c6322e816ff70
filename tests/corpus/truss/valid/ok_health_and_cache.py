# truss: accept
# default: clean
# truss-profile: clean
# covers: is_healthy (async, -> bool), a cached ModelRepo in a volume with a pinned revision, WebsocketOptions on a websocket endpoint
import truss_chains as chains
from truss.base import truss_config


class Transcribe(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            cached=[
                truss_config.ModelRepo(
                    repo_id="openai/whisper-tiny",
                    revision="169d4a4341b33bc18d8881c4b69c2e104e1cc0af",
                    use_volume=True,
                    volume_folder="whisper",
                )
            ]
        )
    )

    async def is_healthy(self) -> bool:
        return True

    async def run_remote(self, url: str) -> str:
        return url


@chains.mark_entrypoint
class Stream(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        options=chains.ChainletOptions(
            transport=truss_config.WebsocketOptions(ping_interval_seconds=10)
        )
    )

    def is_healthy(self) -> bool:
        return True

    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.send_text(await websocket.receive_text())
