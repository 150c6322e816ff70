# truss: reject
# default: CH116
# truss-profile: CH116
# mistake: is_healthy is a staticmethod
import truss_chains as chains


class Model(chains.ChainletBase):
    @staticmethod
    def is_healthy() -> bool:
        return True

    async def run_remote(self, prompt: str) -> str:
        return prompt
