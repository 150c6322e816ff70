# truss: accept
# default: clean
# truss-profile: clean
# covers: list and dict containers of simple types and of pydantic models, bytes, bool, None
import pydantic

import truss_chains as chains


class Item(pydantic.BaseModel):
    name: str
    tags: list[str] = []
    scores: dict[str, float] = {}


class Catalog(chains.ChainletBase):
    async def run_remote(
        self,
        items: list[Item],
        weights: dict[str, float],
        blob: bytes = b"",
        verbose: bool = False,
    ) -> dict[str, Item]:
        return {item.name: item for item in items if verbose or item.name in weights}
