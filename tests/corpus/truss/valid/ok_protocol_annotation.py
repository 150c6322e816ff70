# truss: accept
# default: clean
# truss-profile: clean
# covers: a dependency parameter annotated with a typing.Protocol instead of the class
from typing import Protocol

import truss_chains as chains


class ClassifierLike(Protocol):
    async def run_remote(self, text: str) -> str: ...


class Classifier(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return "long" if len(text) > 20 else "short"


@chains.mark_entrypoint
class Router(chains.ChainletBase):
    def __init__(self, classifier: ClassifierLike = chains.depends(Classifier)) -> None:
        self._classifier = classifier

    async def run_remote(self, text: str) -> str:
        label = await self._classifier.run_remote(text)
        return f"{label}: {text}"
