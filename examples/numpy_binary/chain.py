"""Numpy arrays between chainlets, as raw bytes: ``NumpyArrayField`` over ``use_binary=True``.

``Embedder`` stands in for an embedding model (it folds the UTF-8 bytes of each text into 8
numbers and normalises them, so the chain runs without a model) and answers one
``NumpyArrayField`` holding every vector. The entrypoint ``Ranker`` depends on it with
``use_binary=True``: deployed, the hop is MessagePack and the array travels as its raw bytes
(no base64, no list of floats), decoded without a copy. Outside callers still speak JSON, and
a ``NumpyArrayField`` in JSON is truss's ``{"data_b64", "shape", "dtype"}`` object.

The chainlets that use numpy list it in ``pip_requirements``, as for truss.
"""

import numpy as np
import pydantic
import truss_chains as chains
from truss_chains.pydantic_numpy import NumpyArrayField

_NUMPY = chains.RemoteConfig(docker_image=chains.DockerImage(pip_requirements=["numpy>=1.24"]))
DIMENSIONS = 8


class Embeddings(pydantic.BaseModel):
    vectors: NumpyArrayField


class Match(pydantic.BaseModel):
    text: str
    score: float


class Embedder(chains.ChainletBase):
    remote_config = _NUMPY

    async def run_remote(self, texts: list[str]) -> Embeddings:
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for row, text in enumerate(texts):
            for column, byte in enumerate(text.encode()):
                vectors[row, column % DIMENSIONS] += byte - 96  # centred on lower case
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return Embeddings(vectors=NumpyArrayField(vectors / np.where(norms == 0, 1, norms)))


@chains.mark_entrypoint
class Ranker(chains.ChainletBase):
    remote_config = _NUMPY

    def __init__(self, embedder: Embedder = chains.depends(Embedder, use_binary=True)) -> None:
        self._embedder = embedder

    async def run_remote(self, query: str, texts: list[str]) -> list[Match]:
        embedded = await self._embedder.run_remote([query, *texts])
        vectors = embedded.vectors.array
        scores = vectors[1:] @ vectors[0]
        ranked = sorted(zip(texts, scores.tolist(), strict=True), key=lambda pair: -pair[1])
        return [Match(text=text, score=round(score, 3)) for text, score in ranked]
