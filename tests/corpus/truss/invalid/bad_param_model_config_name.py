# truss: accept
# default: CH109
# truss-profile: CH109
# mistake: a run_remote parameter named `model_config`, a name pydantic reserves
# truss-misses: the generated request model has a `model_config` field, which pydantic refuses when the server starts
import truss_chains as chains


class Configure(chains.ChainletBase):
    async def run_remote(self, model_config: dict[str, str]) -> int:
        return len(model_config)
