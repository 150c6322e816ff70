"""A chain spread over several files: chain.py holds only the entrypoint.

    chain.py              Summarizer (entrypoint)
    pipeline/schemas.py   pydantic types: Document, KeywordCount, Outline, Summary
    pipeline/text.py      a helper module both chainlets of stages.py use
    pipeline/stages.py    the chainlets KeywordExtractor and Outliner

Run it by naming chain.py: its folder is the root that local imports resolve against
(``pipeline`` is found next to it), for chains-lint and chains-run alike. The chainlets are
reached through their module (``stages.Outliner``) rather than imported by name, so the only
chainlet class in this file's namespace is the entrypoint, which is where truss looks for it.
"""

import asyncio

import truss_chains as chains
from pipeline import stages
from pipeline.schemas import Document, Summary


@chains.mark_entrypoint
class Summarizer(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=1, memory="512Mi"))

    def __init__(
        self,
        keywords: stages.KeywordExtractor = chains.depends(stages.KeywordExtractor),
        outliner: stages.Outliner = chains.depends(stages.Outliner),
    ) -> None:
        self._keywords = keywords
        self._outliner = outliner

    async def run_remote(self, documents: list[Document], top_k: int = 3) -> list[Summary]:
        return list(await asyncio.gather(*(self._summarize(doc, top_k) for doc in documents)))

    async def _summarize(self, document: Document, top_k: int) -> Summary:
        outline, keywords = await asyncio.gather(
            self._outliner.run_remote(document.body),
            self._keywords.run_remote(document.body, top_k=top_k),
        )
        return Summary(title=document.title, outline=outline, keywords=keywords)
