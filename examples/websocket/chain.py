"""A websocket chain: the entrypoint talks with its client over one websocket.

``LiveCounter`` receives text messages over the websocket and answers each with a JSON object
counting the words so far; it calls its dependency ``WordCounter`` (an ordinary HTTP chainlet)
for every message, over the chain's protocol. When the client sends ``"bye"`` the method
returns and the server closes the socket with 1000.

A websocket ``run_remote`` takes the websocket as its only parameter, is ``async def`` and
returns ``None``; only an entrypoint can take one (its dependencies are called over HTTP). Run
it with ``chains-run examples/websocket/chain.py --serve`` and connect a websocket client to
``ws://127.0.0.1:8080/websocket`` (with the API key, if one is set, in ``x-api-key``).
"""

import pydantic
import truss_chains as chains


class Tally(pydantic.BaseModel):
    message: int
    words: int
    total_words: int


class WordCounter(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=[]),
        compute=chains.Compute(cpu_count=1, memory="512Mi"),
    )

    async def run_remote(self, text: str) -> int:
        return len(text.split())


@chains.mark_entrypoint
class LiveCounter(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=[]),
        compute=chains.Compute(cpu_count=1, memory="512Mi"),
    )

    def __init__(self, counter: WordCounter = chains.depends(WordCounter)) -> None:
        self._counter = counter

    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        total = 0
        message = 0
        while True:
            text = await websocket.receive_text()
            if text == "bye":
                return
            words = await self._counter.run_remote(text)
            message += 1
            total += words
            tally = Tally(message=message, words=words, total_words=total)
            await websocket.send_json(tally.model_dump())
