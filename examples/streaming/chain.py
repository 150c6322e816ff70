"""A streaming chain: the entrypoint streams items while its dependency is still producing.

``TokenStream`` stands in for an LLM that streams its reply token by token (it streams the
words of the prompt back, so the chain runs without a model). The entrypoint ``Annotator``
consumes that stream with ``async for`` and yields one ``Chunk`` per token as soon as the token
arrives: nothing waits for the whole reply. Clients of the deployed chain receive one JSON item
per line (``chains-run`` prints each as it comes).

Both ``run_remote`` methods are async generators annotated with ``AsyncIterator[...]``. Calls to
a streaming dependency are iterated, never awaited (``await`` on one is what chains-lint reports
as CH503). ``TokenStream`` yields ``str``, as truss requires of streams; ``Annotator`` yields
pydantic models, which chains_runtime carries as JSON (truss does not: under
``chains-lint --profile truss`` this entrypoint is reported as CH258).
"""

from collections.abc import AsyncIterator

import pydantic
import truss_chains as chains


class Chunk(pydantic.BaseModel):
    index: int
    token: str
    chars_so_far: int


class TokenStream(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=[]),
        compute=chains.Compute(cpu_count=1, memory="512Mi"),
    )

    async def run_remote(self, prompt: str, max_tokens: int = 64) -> AsyncIterator[str]:
        for token in prompt.split()[:max_tokens]:
            yield token


@chains.mark_entrypoint
class Annotator(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=1, memory="512Mi"))

    def __init__(self, tokens: TokenStream = chains.depends(TokenStream)) -> None:
        self._tokens = tokens

    async def run_remote(self, prompt: str, max_tokens: int = 8) -> AsyncIterator[Chunk]:
        chars = 0
        index = 0
        async for token in self._tokens.run_remote(prompt, max_tokens=max_tokens):
            chars += len(token)
            yield Chunk(index=index, token=token, chars_so_far=chars)
            index += 1
