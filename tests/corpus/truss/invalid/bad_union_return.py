# truss: reject
# default: clean
# truss-profile: CH251
# mistake: a `int | str` union return type (truss only; pydantic carries it fine)
import truss_chains as chains


class Parse(chains.ChainletBase):
    async def run_remote(self, text: str) -> int | str:
        return int(text) if text.isdigit() else text
