# mypy: ignore-errors
"""A retrieval-augmented generation chain: the "typical file" of the speed benchmark.

Five chainlets with remote configs, dependencies, secrets, pydantic I/O types,
streaming and concurrent calls. It is meant to be clean under chains-lint.
"""

import asyncio
from collections.abc import AsyncIterator

import pydantic
import truss_chains as chains

EMBEDDING_MODEL = "BAAI/bge-small-en-v1.5"
LLM_MODEL = "mistralai/Mistral-7B-Instruct-v0.2"


class Document(pydantic.BaseModel):
    doc_id: str
    text: str
    score: float = 0.0


class Query(pydantic.BaseModel):
    question: str
    top_k: int = 4
    temperature: float = 0.2


class Embedding(pydantic.BaseModel):
    values: list[float]


class Answer(pydantic.BaseModel):
    text: str
    sources: list[Document]


class Embedder(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            pip_requirements=["sentence-transformers==2.7.0", "torch==2.3.0"],
        ),
        compute=chains.Compute(cpu_count=2, memory="8Gi", gpu="T4"),
    )

    def __init__(self) -> None:
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(EMBEDDING_MODEL)

    async def run_remote(self, texts: list[str]) -> list[Embedding]:
        vectors = self._model.encode(texts, normalize_embeddings=True)
        return [Embedding(values=[float(x) for x in v]) for v in vectors]


class Retriever(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=["numpy==1.26.4"]),
        compute=chains.Compute(cpu_count=1, memory="4Gi"),
        assets=chains.Assets(secret_keys=["vector_db_token"]),
    )

    def __init__(
        self,
        embedder: Embedder = chains.depends(Embedder, retries=2),
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        self._token = context.secrets["vector_db_token"]
        self._embedder = embedder
        self._corpus: list[Document] = []

    async def run_remote(self, question: str, top_k: int) -> list[Document]:
        import numpy as np

        if not self._corpus:
            return []
        vectors = await self._embedder.run_remote([question] + [d.text for d in self._corpus])
        matrix = np.array([v.values for v in vectors])
        query, rest = matrix[0], matrix[1:]
        scores = rest @ query
        best = np.argsort(-scores)[:top_k]
        return [
            Document(doc_id=self._corpus[i].doc_id, text=self._corpus[i].text, score=float(s))
            for i, s in zip(best, scores[best], strict=True)
        ]


class Generator(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            pip_requirements=["vllm==0.4.2"],
        ),
        compute=chains.Compute(gpu="A10G", gpu_count=1),
        assets=chains.Assets(secret_keys=["hf_access_token"]),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._hf_token = context.secrets["hf_access_token"]
        self._engine = None

    async def run_remote(self, prompt: str, temperature: float) -> AsyncIterator[str]:
        for word in prompt.split()[:64]:
            await asyncio.sleep(0)
            yield word + " "


class Reranker(chains.ChainletBase):
    async def run_remote(self, question: str, documents: list[Document]) -> list[Document]:
        words = set(question.lower().split())
        return sorted(
            documents,
            key=lambda d: (len(words & set(d.text.lower().split())), d.score),
            reverse=True,
        )


@chains.mark_entrypoint("rag")
class RAG(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=1))

    def __init__(
        self,
        retriever: Retriever = chains.depends(Retriever),
        reranker: Reranker = chains.depends(Reranker),
        generator: Generator = chains.depends(Generator, timeout_sec=120.0),
    ) -> None:
        self._retriever = retriever
        self._reranker = reranker
        self._generator = generator

    async def run_remote(self, query: Query) -> Answer:
        documents = await self._retriever.run_remote(query.question, query.top_k)
        ranked, _ = await asyncio.gather(
            self._reranker.run_remote(query.question, documents),
            asyncio.sleep(0),
        )
        context = "\n\n".join(d.text for d in ranked)
        prompt = f"Context:\n{context}\n\nQuestion: {query.question}\nAnswer:"
        pieces = [p async for p in self._generator.run_remote(prompt, query.temperature)]
        return Answer(text="".join(pieces).strip(), sources=ranked)
