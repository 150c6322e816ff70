"""A standalone model: ``chains.ModelBase``, whose endpoint is ``predict``.

A ``ModelBase`` is a one-chainlet deployment, as in truss: it is its own entrypoint (no
``@chains.mark_entrypoint``), its ``__init__`` takes at most the ``DeploymentContext`` (a
model has no dependencies), and it is served at ``POST /predict`` (and ``POST /run_remote``)
with the ``predict`` arguments by name. Everything else is a chainlet's: ``remote_config``,
secrets, the OpenAPI document, health and metrics, ``chains-run`` in both modes and
``chains-build``.

``Sentiment`` scores texts with a small word list loaded once, in ``__init__``, where a real
model would load its weights (declared with ``Assets(cached=[...])`` or
``Assets(weights=[chains.WeightsSource(...)])``, which chains-run and the built images fetch
before ``__init__`` runs: see the README).
"""

import pydantic
import truss_chains as chains

LEXICON = {
    "good": 1.0, "great": 2.0, "love": 2.0, "fast": 1.0, "clean": 1.0,
    "bad": -1.0, "awful": -2.0, "hate": -2.0, "slow": -1.0, "broken": -2.0,
}


class Scored(pydantic.BaseModel):
    text: str
    label: str
    score: float


class Sentiment(chains.ModelBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=[]),
        compute=chains.Compute(cpu_count=1, memory="256Mi"),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._weights = dict(LEXICON)  # a real model loads its weights here

    async def predict(self, texts: list[str], threshold: float = 0.0) -> list[Scored]:
        results = []
        for text in texts:
            words = [word.strip(".,!?").lower() for word in text.split()]
            score = sum(self._weights.get(word, 0.0) for word in words)
            results.append(Scored(text=text, label=_label(score, threshold), score=score))
        return results


def _label(score: float, threshold: float) -> str:
    if score > threshold:
        return "positive"
    return "negative" if score < -threshold else "neutral"
