"""``chains-run`` on a file whose deployable is a ``ModelBase``, and declared weights fetched
before the chain starts, at the paths truss mounts them.

No network: weights come from ``file://`` folders and from ``hf://`` through a stand-in
``huggingface_hub`` module next to the chain file (imported like any local module), which
records each download in the folder it fills.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import chains_runtime as chains
import httpx
import pytest
from chains_runtime.run.local_weights import (
    LocalWeightsError,
    chain_weights,
    fetch_weights,
    hub_cache_dir,
    weights_items,
)
from chains_runtime.weights import MODEL_CACHE_DIR, WeightsError

from tests.test_chains_run import (
    MODES,
    Cleanup,
    describe,
    free_port,
    run,
    spawn,
    started,  # noqa: F401 (a fixture)
    stop_process,
    wait_for,
)

MODEL = """
import json
from pathlib import Path

import huggingface_hub  # noqa: F401  (the stand-in next to this file)
import truss_chains as chains

LABELS = Path("{labels}")
VOCAB = Path("{vocab}")


class Tagger(chains.ModelBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            weights=[
                chains.WeightsSource(
                    source="file://{source}", mount_location=str(LABELS),
                    ignore_patterns=["*.md"],
                ),
                chains.WeightsSource(source="hf://org/vocab@v2", mount_location=str(VOCAB)),
            ]
        )
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._labels = json.loads((LABELS / "labels.json").read_text())
        self._vocab = json.loads((VOCAB / "config.json").read_text())
        self._files = sorted(path.name for path in LABELS.iterdir() if path.name[0] != ".")

    async def predict(self, index: int) -> dict[str, object]:
        return {{"label": self._labels[index], "vocab": self._vocab, "files": self._files}}
"""

FAKE_HUB = '''
"""A stand-in for huggingface_hub.snapshot_download: writes the repo's config and counts
its calls next to the folder it fills."""

import json
from pathlib import Path


def snapshot_download(**kwargs: object) -> str:
    folder = Path(str(kwargs["local_dir"]))
    (folder / "config.json").write_text(json.dumps({"repo": kwargs["repo_id"],
                                                    "revision": kwargs["revision"]}))
    with (folder.parent / "downloads.log").open("a") as log:
        log.write(f"{kwargs['repo_id']}\\n")
    return str(folder)
'''

TWO_MODELS = """
import truss_chains as chains


class First(chains.ModelBase):
    async def predict(self, x: int) -> int:
        return x


class Second(chains.ModelBase):
    async def predict(self, x: int) -> int:
        return -x
"""


def write_model(folder: Path) -> Path:
    source = folder / "labels-src"
    source.mkdir()
    (source / "labels.json").write_text('["cat", "dog"]')
    (source / "NOTES.md").write_text("not copied")
    (folder / "huggingface_hub.py").write_text(FAKE_HUB)
    chain = folder / "tagger.py"
    chain.write_text(
        MODEL.format(labels=folder / "mnt" / "labels", vocab=folder / "mnt" / "vocab",
                     source=source)
    )  # fmt: skip
    return chain


@MODES
def test_weights_are_fetched_once_where_the_model_reads_them(
    tmp_path: Path, mode: list[str]
) -> None:
    chain = write_model(tmp_path)
    first = run(chain, "--input", '{"index": 1}', *mode)
    assert first.returncode == 0, describe(first)
    assert json.loads(first.stdout) == {
        "label": "dog",
        "vocab": {"repo": "org/vocab", "revision": "v2"},
        "files": ["labels.json"],
    }
    assert "weights: fetched into " + str(tmp_path / "mnt" / "labels") in first.stderr
    # The next run finds them in place: nothing is fetched again.
    second = run(chain, "--input", '{"index": 0}', *mode)
    assert second.returncode == 0, describe(second)
    assert json.loads(second.stdout)["label"] == "cat"
    assert "fetched into" not in second.stderr
    assert (tmp_path / "mnt" / "downloads.log").read_text() == "org/vocab\n"


def test_a_changed_file_source_is_served_on_the_next_run(tmp_path: Path) -> None:
    chain = write_model(tmp_path)
    source, copy = tmp_path / "labels-src", tmp_path / "mnt" / "labels"
    (source / "classes.txt").write_text("animals")
    first = run(chain, "--input", '{"index": 1}', "--in-process")
    assert first.returncode == 0, describe(first)
    assert json.loads(first.stdout)["label"] == "dog"
    unchanged = (copy / "classes.txt").stat()
    (source / "labels.json").write_text('["cow", "pig", "hen"]')
    second = run(chain, "--input", '{"index": 1}', "--in-process")
    assert second.returncode == 0, describe(second)
    assert json.loads(second.stdout)["label"] == "pig"
    assert "weights: fetched into " + str(copy) in second.stderr
    after = (copy / "classes.txt").stat()  # not copied again
    assert (after.st_ino, after.st_mtime_ns) == (unchanged.st_ino, unchanged.st_mtime_ns)
    assert (tmp_path / "mnt" / "downloads.log").read_text() == "org/vocab\n"  # hf: pinned


def test_an_unreachable_store_is_a_usage_error_before_anything_starts(tmp_path: Path) -> None:
    chain = write_model(tmp_path)
    chain.write_text(chain.read_text().replace('"hf://org/vocab@v2"', '"s3://bucket/vocab"'))
    result = run(chain, "--input", '{"index": 0}')
    assert result.returncode == 2, describe(result)
    assert "chainlet `Tagger`: WeightsSource(source='s3://bucket/vocab')" in result.stderr
    assert "starting" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_failed_download_exits_1_naming_the_source(tmp_path: Path) -> None:
    chain = write_model(tmp_path)
    (tmp_path / "labels-src" / "labels.json").unlink()
    (tmp_path / "labels-src" / "NOTES.md").unlink()
    (tmp_path / "labels-src").rmdir()
    result = run(chain, "--input", '{"index": 0}', "--in-process")
    assert result.returncode == 1, describe(result)
    assert (
        f"chainlet `Tagger`: weights file://{tmp_path / 'labels-src'}: no such file or folder "
        "(a copy an earlier start made is not used in its place); restore it, or remove its "
        "WeightsSource from Assets(weights=[...])"
    ) in result.stderr


def test_serve_answers_predict(tmp_path: Path, started: Cleanup) -> None:  # noqa: F811
    chain = write_model(tmp_path)
    port = free_port()
    err = tmp_path / "err"
    process = started(spawn(chain, "--serve", "--port", str(port), out=tmp_path / "out", err=err))
    wait_for(lambda: "serving Tagger at" in err.read_text(), "the model to serve")
    assert f"serving Tagger at http://127.0.0.1:{port}/run_remote and /predict" in err.read_text()
    answer = httpx.post(f"http://127.0.0.1:{port}/predict", json={"index": 0}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.json()["label"] == "cat"
    same = httpx.post(f"http://127.0.0.1:{port}/run_remote", json={"index": 0}, timeout=10)
    assert same.json() == answer.json()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0, err.read_text()
    stop_process(process)


def test_two_models_in_one_file_need_a_choice(tmp_path: Path) -> None:
    chain = tmp_path / "two.py"
    chain.write_text(TWO_MODELS)
    result = run(chain, "--input", '{"x": 1}', "--in-process")
    assert result.returncode == 2, describe(result)
    assert "defines 2 models (`First`, `Second`)" in result.stderr
    chosen = run(chain, "--input", '{"x": 1}', "--in-process", "--entrypoint", "Second")
    assert (chosen.returncode, chosen.stdout) == (0, "-1\n"), describe(chosen)



MODEL_WITH_A_DEPENDENCY = """
import truss_chains as chains


class Helper(chains.ChainletBase):
    async def run_remote(self) -> int:
        return 1


class Calls(chains.ModelBase):
    def __init__(self, helper: Helper = chains.depends(Helper)) -> None:
        self._helper = helper

    async def predict(self) -> int:
        return await self._helper.run_remote()
"""


def test_a_model_refused_at_its_definition_is_located_in_the_chain_file(tmp_path: Path) -> None:
    chain = tmp_path / "calls.py"
    chain.write_text(MODEL_WITH_A_DEPENDENCY)
    result = run(chain, "--in-process")
    assert result.returncode == 2, describe(result)
    assert "model `Calls` declares the dependency `helper`" in result.stderr
    assert f"({chain}, line 10)" in result.stderr  # the class statement, not the runtime
    assert "Traceback" not in result.stderr

# Where each declaration lands (truss's paths) ##########################################


class Cached(chains.ModelBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            secret_keys=["hf_access_token"],
            cached=[
                chains.ModelRepo(
                    repo_id="org/llm", revision="main", use_volume=True, volume_folder="llm",
                    allow_patterns=["*.json"],
                ),
                chains.ModelRepo(repo_id="org/tokenizer"),
            ],
            weights=[chains.WeightsSource(source="https://example.com/w.bin",
                                          mount_location="/models/w", auth_secret_name="other")],
        )
    )

    async def predict(self) -> None:
        return None


def test_declarations_land_at_truss_paths() -> None:
    items = weights_items(Cached, environ={"HF_HOME": "/home/u/hf"})
    assert [(i["kind"], i["source"], i["target"], i["hub_cache"], i["secret"]) for i in items] == [
        ("hf", "org/llm", str(MODEL_CACHE_DIR / "llm"), False, "hf_access_token"),
        ("hf", "org/tokenizer", "/home/u/hf/hub", True, "hf_access_token"),
        ("https", "https://example.com/w.bin", "/models/w", False, None),  # undeclared key
    ]
    assert items[0]["allow_patterns"] == ["*.json"] and items[0]["revision"] == "main"
    assert hub_cache_dir({"HF_HUB_CACHE": "/c"}) == Path("/c")
    assert hub_cache_dir({"XDG_CACHE_HOME": "/x"}) == Path("/x/huggingface/hub")
    # Declared by two chainlets: fetched once.
    assert chain_weights([Cached, Cached], environ={"HF_HOME": "/h"}) == weights_items(
        Cached, environ={"HF_HOME": "/h"}
    )


def test_a_failed_fetch_names_every_chainlet_declaring_it(tmp_path: Path) -> None:
    gone = chains.WeightsSource(
        source=(tmp_path / "gone").as_uri(), mount_location=str(tmp_path / "m")
    )

    class First(chains.ModelBase):
        remote_config = chains.RemoteConfig(assets=chains.Assets(weights=[gone]))

        async def predict(self) -> None:
            return None

    class Second(First):
        pass

    chainlets = [First, Second, Cached]
    items = chain_weights([First, Second])
    with pytest.raises(WeightsError) as raised:
        fetch_weights(items, {}, chainlets)
    assert str(raised.value).startswith(
        f"chainlets `First`, `Second`: weights {gone.source}: no such file or folder"
    )


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        (chains.ModelRepo(repo_id="o/r", use_volume=True), 'needs volume_folder="<name>"'),
        (chains.ModelRepo(repo_id="o/r", kind=chains.ModelRepoSourceKind.S3), "kind='s3'"),
        (chains.WeightsSource(source="hf://o/r", mount_location="rel"), "absolute folder"),
        (chains.WeightsSource(source="hf://norepo", mount_location="/m"), "hf://<org>/<repo>"),
    ],
)
def test_declarations_chains_run_cannot_fetch_say_why(declaration: object, message: str) -> None:
    if isinstance(declaration, chains.ModelRepo):
        assets = chains.Assets(cached=[declaration])
    else:
        assets = chains.Assets(weights=[declaration])

    class Bad(chains.ModelBase):
        remote_config = chains.RemoteConfig(assets=assets)

        async def predict(self) -> None:
            return None

    with pytest.raises(LocalWeightsError, match="chainlet `Bad`") as raised:
        weights_items(Bad)
    assert message in str(raised.value)


# `from truss.base import truss_config`, as truss's docs write cached weights ###########

TRUSS_CONFIG_MODEL = """
from truss.base import truss_config

import huggingface_hub  # noqa: F401  (the stand-in next to this file)
import truss_chains as chains


class Llm(chains.ModelBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(cached=[truss_config.ModelRepo(repo_id="org/llm")])
    )

    async def predict(self, prompt: str) -> str:
        return prompt.upper()
"""

HUB_CACHE_STAND_IN = '''
from pathlib import Path


def snapshot_download(**kwargs: object) -> str:
    folder = Path(str(kwargs["cache_dir"])) / "models--org--llm"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "repo").write_text(str(kwargs["repo_id"]))
    return str(folder)
'''


def test_truss_config_model_repo_goes_to_the_hub_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "huggingface_hub.py").write_text(HUB_CACHE_STAND_IN)
    chain = tmp_path / "llm.py"
    chain.write_text(TRUSS_CONFIG_MODEL)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    result = run(chain, "--input", '{"prompt": "hi"}', "--in-process")
    assert (result.returncode, result.stdout) == (0, '"HI"\n'), describe(result)
    assert (tmp_path / "hub" / "models--org--llm" / "repo").read_text() == "org/llm"


def test_other_truss_modules_say_truss_is_not_installed() -> None:
    code = (
        "from chains_runtime import import_alias\n"
        "import_alias.install()\n"
        "from truss.base import truss_config\n"
        "import chains_runtime\n"
        "assert truss_config.ModelRepo is chains_runtime.ModelRepo\n"
        "assert truss_config.WeightsSource is chains_runtime.WeightsSource\n"
        "try:\n"
        "    import truss.templates.server\n"
        "except ModuleNotFoundError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("No module named 'truss.templates': truss is not installed")


def test_a_folder_chains_run_may_not_create_is_a_usage_error_saying_how(tmp_path: Path) -> None:
    # /sys refuses new folders even to root (EPERM; EROFS where it is mounted read-only).
    chain = write_model(tmp_path)
    chain.write_text(chain.read_text().replace(str(tmp_path / "mnt" / "labels"), "/sys/chains-m"))
    result = run(chain, "--input", '{"index": 0}', "--in-process")
    assert result.returncode == 2, describe(result)
    assert "chains-run cannot write /sys/chains-m (" in result.stderr
    assert "sudo mkdir -p /sys/chains-m && sudo chown $USER /sys/chains-m" in result.stderr
    assert not Path("/sys/chains-m").exists()
