# truss: accept
# default: CH106
# truss-profile: CH106
# mistake: **kwargs in run_remote (the request model cannot describe it)
# truss-misses: truss accepts `**options`; the generated request model has one str field `options`, so callers cannot pass the options they mean
import truss_chains as chains


class Options(chains.ChainletBase):
    async def run_remote(self, prompt: str, **options: str) -> str:
        return prompt + repr(sorted(options))
