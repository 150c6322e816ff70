# truss: accept
# default: CH107
# truss-profile: CH107
# mistake: a positional-only run_remote parameter (the server passes request fields by name)
# truss-misses: truss accepts `text, /`; the generated server calls run_remote(text=...), which raises TypeError
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, text: str, /) -> str:
        return text
