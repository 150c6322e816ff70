# truss: reject
# default: CH724
# truss-profile: CH724
# mistake: a websocket run_remote given an HTTP transport (as a dict)
import truss_chains as chains


class Echo(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        options=chains.ChainletOptions(transport={"kind": "http"})
    )

    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.send_text(await websocket.receive_text())
