# truss: reject
# default: CH706
# truss-profile: CH706
# mistake: a memory value with an unknown unit
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=2, memory="16GB"))

    async def run_remote(self, prompt: str) -> str:
        return prompt
