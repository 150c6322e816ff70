# truss: reject
# default: CH405
# truss-profile: CH405
# mistake: an __init__ parameter that is neither a dependency nor the context
import truss_chains as chains


class Model(chains.ChainletBase):
    def __init__(self, model_name: str = "gpt2") -> None:
        self._model_name = model_name

    async def run_remote(self, prompt: str) -> str:
        return f"{self._model_name}: {prompt}"
