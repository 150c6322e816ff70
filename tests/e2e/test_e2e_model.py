"""A ``ModelBase`` built into an image and called at ``POST /predict`` in its container.

The model declares ``Assets(cached=[ModelRepo(..., use_volume=True, volume_folder="vocab"),
ModelRepo(...)])``. truss mounts the first at ``/app/model_cache/vocab`` and has the second in
the image's Hugging Face hub cache: the image's server downloads both into the weights volume
before ``__init__`` runs (the hub cache's repo folder linked from ``$HF_HOME/hub``), and
``__init__`` reads them from those paths, as it would on Baseten. ``huggingface_hub`` is a
stand-in next to the chain (no network in CI), copied into the image like any local module the
chain imports.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.e2e.compose_chain import compose_chain
from tests.e2e.conftest import BuildOnce

MODEL = '''
import json
import os
from pathlib import Path

import huggingface_hub  # noqa: F401  (the stand-in below: copied into the image)

import truss_chains as chains

VOCAB = Path("/app/model_cache/vocab")


class Vocabulary(chains.ModelBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            cached=[
                chains.ModelRepo(
                    repo_id="org/vocab", revision="v3", use_volume=True, volume_folder="vocab"
                ),
                chains.ModelRepo(repo_id="org/stopwords"),
            ]
        ),
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._words = json.loads((VOCAB / "config.json").read_text())["words"]
        # Where truss's image has a ModelRepo without use_volume: the default hub cache.
        hub = Path(os.environ["HF_HOME"]) / "hub" / "models--org--stopwords"
        self._stop = json.loads((hub / "config.json").read_text())["words"]

    async def predict(self, text: str) -> list[str]:
        return [w for w in text.split() if w in self._words and w not in self._stop]
'''

FAKE_HUB = '''
"""A stand-in for huggingface_hub.snapshot_download (no network in CI)."""

import json
from pathlib import Path


def snapshot_download(**kwargs: object) -> str:
    if kwargs.get("cache_dir"):  # a hub cache: the repo's own folder in it
        folder = Path(str(kwargs["cache_dir"])) / "models--org--stopwords"
        folder.mkdir(parents=True, exist_ok=True)
        words = ["dog"]
    else:
        folder = Path(str(kwargs["local_dir"]))
        words = ["cat", "dog", "bird"] if kwargs["revision"] == "v3" else []
    (folder / "config.json").write_text(json.dumps({"words": words}))
    return str(folder)
'''


def test_a_model_image_answers_predict_with_its_cached_weights(
    build_once: BuildOnce, tmp_path: Path
) -> None:
    (tmp_path / "huggingface_hub.py").write_text(FAKE_HUB, encoding="utf-8")
    chain_file = tmp_path / "model.py"
    chain_file.write_text(MODEL, encoding="utf-8")
    built = build_once(chain_file)
    assert [chainlet.class_name for chainlet in built.chainlets] == ["Vocabulary"]
    with compose_chain(built) as chain, httpx.Client(trust_env=False, timeout=60) as client:
        answer = client.post(f"{chain.url}/predict", json={"text": "a cat and a dog and a bird"})
        assert answer.status_code == 200, answer.text
        assert answer.json() == ["cat", "bird"]  # "dog" is in the hub-cached stop words
        same = chain.call({"text": "cat"})  # POST /run_remote
        assert same.status_code == 200 and same.json() == ["cat"]
        invalid = client.post(f"{chain.url}/predict", json={"words": "cat"})
        assert invalid.status_code == 422
        assert "`text`" in invalid.json()["error"]["message"]
        paths = client.get(f"{chain.url}/openapi.json").json()["paths"]
        assert list(paths)[:2] == ["/predict", "/run_remote"]
        owner = chain.exec("Vocabulary", ["stat", "-c", "%u", "/app/model_cache/vocab/config.json"])
        assert owner.stdout.strip() == "10001"
