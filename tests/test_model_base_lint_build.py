"""A file whose deployable is a ``ModelBase``: the linter's chain model and chains-build.

The model is its own entrypoint with ``predict`` as its endpoint: no CH305 or CH404, the
``run_remote`` rules hold for ``predict`` (named so), a model without ``predict`` is CH101 and
one with a dependency CH415; chains-build writes one build context whose server answers
``/predict``, and names that path in chain.json and docker-compose.yaml.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chains_build.dockerfile import render_dockerfile
from chains_lint import Config, lint_files
from tests.build_helpers import build, planned, write
from tests.lint_helpers import codes, lint_text
from tests.test_build_dockerfile import _hadolint

MODEL = """
import truss_chains as chains


class Helper(chains.ChainletBase):
    async def run_remote(self, x: int) -> int:
        return x


class HelloWorld(chains.ModelBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            cached=[chains.ModelRepo(repo_id="org/m", revision="v1", use_volume=True,
                                     volume_folder="m")],
        )
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._count = 0

    async def predict(self, increment: int) -> int:
        self._count += increment
        return self._count
"""


@pytest.mark.parametrize("profile", ["default", "truss"])
def test_a_model_file_lints_clean(tmp_path: Path, profile: str) -> None:
    assert lint_text(tmp_path, MODEL, profile=profile) == []  # type: ignore[arg-type]


def test_the_model_is_the_chain_entrypoint(tmp_path: Path) -> None:
    path = write(tmp_path, "chain.py", MODEL)
    result = lint_files([path], Config())
    model = result.analysis.targets[0].model
    (chain,) = model.chains
    assert chain.entrypoint.name == "HelloWorld" and chain.entrypoint.is_model
    assert chain.entrypoint.run_remote is not None
    assert chain.entrypoint.run_remote.name == "predict"
    assert not model.chainlets["chain.Helper"].is_model


def test_endpoint_rules_name_predict(tmp_path: Path) -> None:
    sync = MODEL.replace("async def predict(self, increment: int)", "def predict(self, increment)")
    found = lint_text(tmp_path, sync)
    assert codes(found) == ["CH110", "CH104"]
    assert all("`predict`" in d.message and "run_remote" not in d.message for d in found)


def test_a_model_without_predict_is_an_error(tmp_path: Path) -> None:
    found = lint_text(tmp_path, MODEL.replace("def predict(", "def run_remote("))
    assert codes(found) == ["CH101"]
    assert found[0].message.startswith("model `HelloWorld` has no `predict` method")
    assert found[0].severity == "error"


def test_a_model_with_a_dependency_is_an_error(tmp_path: Path) -> None:
    text = MODEL.replace(
        "context: chains.DeploymentContext = chains.depends_context()",
        "helper: Helper = chains.depends(Helper)",
    )
    found = lint_text(tmp_path, text)
    assert codes(found) == ["CH415"]
    assert "model `HelloWorld` declares the dependency `helper`" in found[0].message


def test_a_model_file_builds_one_context_answering_predict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "chain.py", MODEL)
    status, _, err = build(capsys, path, "-o", tmp_path / "out")
    assert status == 0, err
    out = tmp_path / "out"
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["HelloWorld", "k8s"]
    document = json.loads((out / "chain.json").read_text())
    assert document["entrypoint"] == "HelloWorld"
    (chainlet,) = document["chainlets"]
    assert chainlet["endpoint"] == "/predict" and chainlet["is_entrypoint"]
    compose = (out / "docker-compose.yaml").read_text()
    assert "answers on http://localhost:8000/predict" in compose
    assert "/app/model_cache" in compose  # the weights volume
    (entry,) = planned(path).plan.chainlets
    assert entry.is_model
    (item,) = entry.weights.items
    assert (item.source, item.target, item.hub_cache) == ("org/m", "/app/model_cache/m", False)


def test_a_file_source_is_refused_by_the_build(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = MODEL.replace(
        'cached=[chains.ModelRepo(repo_id="org/m", revision="v1", use_volume=True,\n'
        '                                     volume_folder="m")],',
        'weights=[chains.WeightsSource(source="file:///data/m", mount_location="/models/m")],',
    )
    path = write(tmp_path, "chain.py", text)
    status, _, err = build(capsys, path, "-o", tmp_path / "out")
    assert status != 0
    assert "file:// sources are for chains-run on this machine only" in err


def test_a_hub_cached_repo_is_linked_from_the_images_hub_cache(tmp_path: Path) -> None:
    text = MODEL.replace(
        'volume_folder="m")],',
        'volume_folder="m"),\n                    chains.ModelRepo(repo_id="org/tok")],',
    )
    result = planned(write(tmp_path, "chain.py", text))
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(render_dockerfile(result.plan, result.plan.entrypoint))
    link = "/home/chains/.cache/huggingface/hub/models--org--tok"
    assert (
        f"{{ [ -e {link} ] || ln -s /app/model_cache/huggingface/hub/models--org--tok {link}; }}"
        in dockerfile.read_text()
    )
    assert _hadolint(dockerfile) == ""


def test_a_second_model_in_a_file_is_an_error(tmp_path: Path) -> None:
    text = MODEL + '''

class Other(chains.ModelBase):
    async def predict(self, x: int) -> int:
        return x
'''
    found = lint_text(tmp_path, text)
    assert codes(found) == ["CH308"]
    assert found[0].message.startswith("model `Other` is another `ModelBase` in this file")
