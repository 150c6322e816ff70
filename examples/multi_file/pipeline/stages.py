"""The chainlets that do the work; ``chain.py`` wires them under its entrypoint."""

from collections import Counter

import truss_chains as chains

from pipeline import text
from pipeline.schemas import KeywordCount, Outline

_SMALL = chains.RemoteConfig(
    docker_image=chains.DockerImage(pip_requirements=[]),
    compute=chains.Compute(cpu_count=1, memory="512Mi"),
)


class KeywordExtractor(chains.ChainletBase):
    remote_config = _SMALL

    async def run_remote(self, body: str, top_k: int = 3) -> list[KeywordCount]:
        counts = Counter(word for word in text.words(body) if word not in text.STOPWORDS)
        # Most frequent first; ties in alphabetical order, so the result is deterministic.
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [KeywordCount(word=word, count=count) for word, count in ranked[:top_k]]


class Outliner(chains.ChainletBase):
    remote_config = _SMALL

    async def run_remote(self, body: str) -> Outline:
        found = text.sentences(body)
        return Outline(
            word_count=len(text.words(body)),
            sentence_count=len(found),
            first_sentence=found[0] if found else "",
        )
