"""One definition of the rules of declared weights (``chains_runtime.weights_rules``), applied
by ``chains-build`` (``chains_build.weights_plan``, from the chain file's literals) and by
``chains-run`` (``chains_runtime.run.local_weights``, from the imported classes).

Each declaration below is written once, in a real chain file, and handed to both: they refuse
it with the same reason, each as its own error (``BuildError``, ``LocalWeightsError``) naming
the chainlet.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest
from chains_runtime.run.discovery import discover_chain
from chains_runtime.run.local_weights import LocalWeightsError, weights_items

from chains_build.errors import BuildError
from chains_build.weights_plan import plan_weights
from chains_lint import Config, lint_files
from tests.build_helpers import build, write
from tests.test_chains_run import describe, run

CHAIN = """
import truss_chains as chains


class Bad(chains.ModelBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            secret_keys=["hf_access_token"],
            {assets},
        )
    )

    async def predict(self, x: int) -> int:
        return x
"""

TWO_SOURCES_ONE_FOLDER = (
    'weights=[chains.WeightsSource(source="hf://o/a", mount_location="/models/m"),\n'
    '            chains.WeightsSource(source="hf://o/b", mount_location="/models/m/")]'
)

SHARED_RULES = [
    pytest.param(
        'weights=[chains.WeightsSource(source="hf://o/r", mount_location="models")]',
        "WeightsSource(mount_location='models'): must be an absolute folder such as "
        "/models/llama",
        id="relative-mount-location",
    ),
    pytest.param(
        'weights=[chains.WeightsSource(source="hf://o/r", mount_location="/m/../etc")]',
        "WeightsSource(mount_location='/m/../etc'): must be an absolute folder",
        id="mount-location-with-dot-dot",
    ),
    pytest.param(
        'weights=[chains.WeightsSource(source="hf://norepo", mount_location="/m")]',
        "WeightsSource(source='hf://norepo'): write hf://<org>/<repo> or "
        "hf://<org>/<repo>@<revision>",
        id="hf-uri-without-org",
    ),
    pytest.param(
        'weights=[chains.WeightsSource(source="https://example.com/", mount_location="/m")]',
        "WeightsSource(source='https://example.com/'): the URL names no file",
        id="https-url-naming-no-file",
    ),
    pytest.param(
        'cached=[chains.ModelRepo(repo_id="o/r", use_volume=True, volume_folder="..")]',
        "ModelRepo(repo_id='o/r', use_volume=True) needs volume_folder=\"<name>\", one folder "
        "name (letters, digits, ., _, -)",
        id="volume-folder-dot-dot",
    ),
    pytest.param(
        'cached=[chains.ModelRepo(repo_id="o/r", use_volume=True, volume_folder="a/b")]',
        "ModelRepo(repo_id='o/r', use_volume=True) needs volume_folder=",
        id="volume-folder-with-slash",
    ),
    pytest.param(
        TWO_SOURCES_ONE_FOLDER,
        "two weights sources go to /models/m; give each its own volume_folder or "
        "mount_location",
        id="two-sources-one-mount-location",
    ),
    pytest.param(
        'cached=[chains.ModelRepo(repo_id="o/r", use_volume=True, volume_folder="m")],\n'
        '            weights=[chains.WeightsSource(source="hf://o/b",'
        ' mount_location="/app/model_cache/m")]',
        "two weights sources go to /app/model_cache/m;",
        id="a-repo-and-a-source-in-one-folder",
    ),
]


_FILES = itertools.count()


def chain_file(folder: Path, assets: str) -> Path:
    """The chain file declaring ``assets``, named anew each time: chains-run imports it as a
    module of its file's name."""
    return write(folder, f"weights_chain_{next(_FILES)}.py", CHAIN.format(assets=assets))


def refused_by_build(folder: Path, assets: str) -> str:
    """What ``chains-build`` says when it plans the chainlet's weights (after linting)."""
    path = chain_file(folder, assets)
    model = lint_files([path], Config()).analysis.targets[0].model
    (chainlet,) = model.chainlets.values()
    with pytest.raises(BuildError) as raised:
        plan_weights(chainlet.name, chainlet.remote_config)
    return str(raised.value)


def refused_by_chains_run(folder: Path, assets: str) -> str:
    """What ``chains-run`` says when it reads the imported chainlet's weights."""
    chain = discover_chain(chain_file(folder, assets))
    with pytest.raises(LocalWeightsError) as raised:
        weights_items(chain.entrypoint)
    return str(raised.value)


@pytest.mark.parametrize("assets, reason", SHARED_RULES)
def test_both_refuse_a_bad_entry_for_the_same_reason(
    tmp_path: Path, assets: str, reason: str
) -> None:
    by_build = refused_by_build(tmp_path / "build", assets)
    by_run = refused_by_chains_run(tmp_path / "run", assets)
    assert by_build == by_run
    assert by_build.startswith(f"chainlet `Bad`: {reason}"), by_build


def test_a_source_neither_fetches_is_refused_saying_what_each_fetches(tmp_path: Path) -> None:
    assets = 'weights=[chains.WeightsSource(source="s3://b/k", mount_location="/m")]'
    assert refused_by_build(tmp_path / "build", assets) == (
        "chainlet `Bad`: WeightsSource(source='s3://b/k'): chains-build downloads Hugging Face "
        "repos (hf://) and https:// files; fetch other stores in __init__ or with build_commands"
    )
    assert refused_by_chains_run(tmp_path / "run", assets) == (
        "chainlet `Bad`: WeightsSource(source='s3://b/k'): chains-run downloads Hugging Face "
        "repos (hf://) and https:// files, and copies file:// files or folders; fetch other "
        "stores in __init__"
    )


def test_a_model_repo_of_another_kind_is_refused_naming_the_kind_both_fetch(
    tmp_path: Path,
) -> None:
    assets = 'cached=[chains.ModelRepo(repo_id="o/r", kind=chains.ModelRepoSourceKind.S3)]'
    assert refused_by_build(tmp_path / "build", assets) == (
        "chainlet `Bad`: ModelRepo(kind='s3'): chains-build downloads Hugging Face repos only "
        "(kind='hf', the default); fetch other stores in __init__ or with build_commands"
    )
    assert refused_by_chains_run(tmp_path / "run", assets) == (
        "chainlet `Bad`: ModelRepo(kind='s3'): chains-run downloads Hugging Face repos only "
        "(kind='hf', the default); fetch other stores in __init__"
    )


def test_file_sources_are_for_chains_run_only(tmp_path: Path) -> None:
    local = 'weights=[chains.WeightsSource(source="file:///data/m", mount_location="/m")]'
    assert "file:// sources are for chains-run on this machine only" in refused_by_build(
        tmp_path / "build", local
    )
    (item,) = weights_items(discover_chain(chain_file(tmp_path / "run", local)).entrypoint)
    assert (item["kind"], item["source"], item["target"]) == ("file", "file:///data/m", "/m")
    # `file://data/m` names the host "data": refused, instead of reading /m.
    with_host = local.replace("file:///data/m", "file://data/m")
    assert refused_by_chains_run(tmp_path / "host", with_host) == (
        "chainlet `Bad`: WeightsSource(source='file://data/m'): write the absolute path after "
        "three slashes, file:///path/to/weights (what follows file:// up to the next / is a "
        "host name)"
    )


def test_both_tools_report_a_shared_rule_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the command lines: ``chains-build`` exits 1, ``chains-run`` 2 (a usage error),
    both with the same line, before anything is built or started."""
    assets = TWO_SOURCES_ONE_FOLDER
    reason = "chainlet `Bad`: two weights sources go to /models/m; give each its own"
    path = chain_file(tmp_path, assets)
    status, _, stderr = build(capsys, path, "-o", tmp_path / "out")
    assert status == 1 and reason in stderr, stderr
    assert not (tmp_path / "out").exists()
    result = run(path, "--input", '{"x": 1}')
    assert result.returncode == 2, describe(result)
    assert reason in result.stderr
    assert "starting" not in result.stderr


def test_chains_build_reads_the_rules_without_loading_urllib_request() -> None:
    """``urllib.request`` (and ``ssl`` with it) takes ~40 ms to import: the rules load it only
    to read a ``file://`` path, which ``chains-build`` never does."""
    code = (
        "import sys\n"
        "import chains_build.deploy_options, chains_runtime.weights_rules\n"
        "print(sorted({'ssl', 'urllib.request'} & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout) == (0, "[]\n"), result.stderr
