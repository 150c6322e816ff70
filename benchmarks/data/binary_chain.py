# mypy: ignore-errors
"""The chains of the binary benchmark (``benchmarks/binary_speed.py``): one hop, two ways.

Each entrypoint sends an array of ``VALUES`` float32 numbers to its leaf, which sends it back;
the entrypoint answers one number, so the cost measured is the hop (encoding, sending and
decoding the array in both directions), not the outside call.

- ``BinaryEntry`` -> ``BinaryLeaf``: a ``NumpyArrayField`` over ``depends(..., use_binary=True)``
  (MessagePack, the array as raw bytes).
- ``JsonEntry`` -> ``JsonLeaf``: the same numbers as ``list[float]`` over JSON.

The values are multiples of 1/16 below 4096, so each is exact in float32 and short in JSON
("1234.5625"): JSON gets its best case (random floats would be 17 digits each, and their
20 MB body would be over the server's 16 MiB limit).
"""

import numpy as np
import truss_chains as chains
from truss_chains.pydantic_numpy import NumpyArrayField

VALUES = 1_000_000


def make_values() -> np.ndarray:
    return ((np.arange(VALUES) % 65536) / 16).astype(np.float32)


class BinaryLeaf(chains.ChainletBase):
    async def run_remote(self, values: NumpyArrayField) -> NumpyArrayField:
        return values


@chains.mark_entrypoint
class BinaryEntry(chains.ChainletBase):
    def __init__(self, leaf: BinaryLeaf = chains.depends(BinaryLeaf, use_binary=True)) -> None:
        self._leaf = leaf
        self._values = NumpyArrayField(make_values())

    async def run_remote(self) -> float:
        echoed = await self._leaf.run_remote(self._values)
        return float(echoed.array.sum(dtype=np.float64))


class JsonLeaf(chains.ChainletBase):
    async def run_remote(self, values: list[float]) -> list[float]:
        return values


class JsonEntry(chains.ChainletBase):
    def __init__(self, leaf: JsonLeaf = chains.depends(JsonLeaf)) -> None:
        self._leaf = leaf
        self._values = make_values().tolist()

    async def run_remote(self) -> float:
        echoed = await self._leaf.run_remote(self._values)
        return float(sum(echoed))
