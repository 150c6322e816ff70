"""Planning real chain files: which chain, names, files per chainlet, and refused input."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import pytest
from chains_runtime.wiring import parse_wiring

from chains_build.errors import BuildError
from chains_build.planner import BuildOptions, plan_chain
from chains_build.runtime_contract import wiring_config
from chains_build.slugs import slug, unique_slugs
from chains_lint import Config, lint_files
from tests.build_helpers import HELLO_CHAIN, REPO, planned, write


def test_slugs_are_dns_labels() -> None:
    assert slug("SayHello") == "say-hello"
    assert slug("LLM_Model") == "llm-model"
    assert slug("HTTPServer2") == "http-server2"
    assert slug("9lives") == "c-9lives"
    assert slug("x" * 80) == "x" * 63
    assert unique_slugs(["SayHello", "Say_Hello", "say-hello"]) == [
        "say-hello",
        "say-hello-2",
        "say-hello-3",
    ]


def test_the_hello_chain_is_planned_entrypoint_first(tmp_path: Path) -> None:
    plan = planned(write(tmp_path, "chain.py", HELLO_CHAIN)).plan
    assert plan.name == "HelloAll" and plan.slug == "hello-all" and plan.source == "chain.py"
    assert [c.class_name for c in plan.chainlets] == ["HelloAll", "SayHello"]
    entry, leaf = plan.chainlets
    assert entry.is_entrypoint and not leaf.is_entrypoint
    assert entry.dependencies == ("SayHello",) and leaf.dependencies == ()
    assert (entry.slug, entry.module, entry.source_files) == ("hello-all", "chain", ("chain.py",))
    assert plan.dependency_url("SayHello") == "http://say-hello:8080"
    assert entry.resources.cpu == "1" and entry.resources.memory == "2Gi"


def test_the_run_remote_time_limit_reaches_the_wiring(tmp_path: Path) -> None:
    source = HELLO_CHAIN.replace(
        "class SayHello(chains.ChainletBase):\n",
        "class SayHello(chains.ChainletBase):\n"
        "        remote_config = chains.RemoteConfig(\n"
        "            options=chains.ChainletOptions(run_remote_timeout_sec=2.5)\n"
        "        )\n",
    )
    assert source != HELLO_CHAIN
    plan = planned(write(tmp_path, "chain.py", source)).plan
    entry, leaf = plan.chainlets
    assert (entry.run_remote_timeout_sec, leaf.run_remote_timeout_sec) == (None, 2.5)
    secrets_dir = PurePosixPath("/secrets")
    assert "run_remote_timeout_sec" not in wiring_config(plan, entry, secrets_dir=secrets_dir)
    wiring = parse_wiring(
        json.dumps(wiring_config(plan, leaf, secrets_dir=secrets_dir)),
        environ={"CHAINS_SERVICE_TOKEN": "t"},
    )
    assert wiring.run_remote_timeout_sec == 2.5


def test_each_chainlet_gets_only_the_modules_it_imports() -> None:
    plan = planned(REPO / "examples" / "multi_file" / "chain.py").plan
    files = {c.class_name: c.source_files for c in plan.chainlets}
    shared = tuple(f"pipeline/{name}.py" for name in ("__init__", "schemas", "stages", "text"))
    assert files["Summarizer"] == ("chain.py", *shared)
    assert files["KeywordExtractor"] == shared
    assert files["Outliner"] == shared


def test_modules_not_imported_stay_out(tmp_path: Path) -> None:
    write(tmp_path, "helpers/__init__.py", "")
    write(tmp_path, "helpers/text.py", "def shout(s: str) -> str:\n    return s.upper()\n")
    write(tmp_path, "unrelated.py", "X = 1\n")
    write(tmp_path, "notes.txt", "not code\n")
    chain = write(
        tmp_path,
        "app.py",
        """
        import truss_chains as chains
        from helpers.text import shout


        class Shout(chains.ChainletBase):
            async def run_remote(self, text: str) -> str:
                return shout(text)
        """,
    )
    plan = planned(chain).plan
    assert plan.entrypoint.source_files == ("app.py", "helpers/__init__.py", "helpers/text.py")


def test_data_and_package_dirs_are_relative_to_the_project(tmp_path: Path) -> None:
    write(tmp_path, "assets/prompt.txt", "Say hi to {name}\n")
    write(tmp_path, "vendor/textlib/__init__.py", "")
    chain = write(
        tmp_path,
        "chain.py",
        """
        import truss_chains as chains


        class Prompted(chains.ChainletBase):
            remote_config = chains.RemoteConfig(
                docker_image=chains.DockerImage(
                    data_dir=chains.make_abs_path_here("assets"),
                    external_package_dirs=[chains.make_abs_path_here("vendor")],
                ),
            )

            async def run_remote(self, name: str) -> str:
                return name
        """,
    )
    result = planned(chain)
    chainlet = result.plan.entrypoint
    assert chainlet.data_dir == "assets" and chainlet.package_dirs == ("vendor",)
    sources = result.sources["Prompted"]
    assert sources.data_dir is not None and sources.data_dir.path == (tmp_path / "assets")


def _chain_with(tmp_path: Path, remote_config: str, extra: str = "") -> Path:
    return write(
        tmp_path,
        "chain.py",
        f"""
import truss_chains as chains
{extra}

class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig({remote_config})

    async def run_remote(self, text: str) -> str:
        return text
""",
    )


def _plan_error(path: Path) -> str:
    """Plan ``path`` whatever the linter says (as a user who ignores a rule would)."""
    result = lint_files([path], Config())
    model = result.analysis.targets[0].model
    with pytest.raises(BuildError) as raised:
        plan_chain(model, model.chains[0], BuildOptions())
    message = raised.value.message
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('compute=chains.Compute(instance_type="huge")', "cannot be mapped to resources"),
        ('compute=chains.Compute(instance_type="X100:8x80")', 'unknown GPU "X100"'),
        ('compute=chains.Compute(gpu="X100")', 'unknown GPU "X100"'),
        (
            'docker_image=chains.DockerImage(data_dir=chains.make_abs_path_here("nope"))',
            "data_dir nope does not exist",
        ),
        (
            'docker_image=chains.DockerImage(external_package_dirs=["/"])',
            "external_package_dirs entry / is outside the project folder",
        ),
        (
            'docker_image=chains.DockerImage(pip_requirements=["numpy\\nRUN rm -rf /"])',
            "contains a line break, which would break the Dockerfile",
        ),
        (
            'docker_image=chains.DockerImage(pip_requirements=["-r other.txt"])',
            "refers to another file",
        ),
        (
            'docker_image=chains.DockerImage(apt_requirements=["ffmpeg; rm -rf /"])',
            "is not a Debian package name",
        ),
        ('build_commands=["echo hi\\necho there"]', "contains a line break"),
        ('build_commands=["echo \\x00"]', "contains a NUL byte"),
        ('build_commands=["make \\\\"]', "ends with a backslash"),
        ('build_commands=["cat <<EOF > x"]', "here-document"),
        ('build_commands=["   "]', "empty entry"),
        ('assets=chains.Assets(secret_keys=["../etc/passwd"])', "cannot be a file name"),
        ("compute=chains.Compute(gpu=GPU)", "remote_config.compute.gpu is not a literal"),
        ('name="k8s"', "taken by the build output"),
    ],
)
def test_bad_input_is_a_one_line_error(tmp_path: Path, config: str, expected: str) -> None:
    path = _chain_with(tmp_path, config, extra="import os\nGPU = os.environ['GPU']")
    assert expected in _plan_error(path)


def test_a_data_dir_outside_the_project_is_refused(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "weights.bin").write_bytes(b"\0")
    project = tmp_path / "project"
    path = _chain_with(
        project,
        'docker_image=chains.DockerImage(data_dir=chains.make_abs_path_here("../shared"))',
    )
    message = _plan_error(path)
    assert "data_dir" in message and "is outside the project folder" in message
    assert "move it inside" in message


def test_a_file_given_as_data_dir_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "weights.bin", "x")
    path = _chain_with(
        tmp_path,
        'docker_image=chains.DockerImage(data_dir=chains.make_abs_path_here("weights.bin"))',
    )
    assert "is a file, not a folder" in _plan_error(path)


def test_a_requirements_file_that_includes_another_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "requirements.txt", "numpy\n-r base.txt\n")
    path = _chain_with(
        tmp_path,
        "docker_image=chains.DockerImage("
        'pip_requirements_file=chains.make_abs_path_here("requirements.txt"))',
    )
    assert "requirements.txt:2" in _plan_error(path)


def test_a_file_without_a_chain_is_an_error(tmp_path: Path) -> None:
    from chains_build.planner import find_chain

    path = write(tmp_path, "lib.py", "X = 1\n")
    model = lint_files([path], Config()).analysis.targets[0].model
    with pytest.raises(BuildError, match="defines no chain"):
        find_chain(model, path)


def test_python_version_option_is_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "chain.py", HELLO_CHAIN)
    assert planned(path, BuildOptions(python_version="3.12")).plan.python_version == "3.12"
    for bad, expected in (("3.9", "3.10 or newer"), ("three", "X.Y")):
        with pytest.raises(BuildError, match=expected):
            planned(path, BuildOptions(python_version=bad))


def test_gpu_from_an_instance_type_picks_the_cuda_image(tmp_path: Path) -> None:
    path = _chain_with(
        tmp_path,
        'compute=chains.Compute(instance_type="H100:8x80"), '
        'docker_image=chains.DockerImage(pip_requirements=["torch==2.7.0"])',
    )
    chainlet = planned(path).plan.entrypoint
    assert (chainlet.resources.gpu, chainlet.resources.gpu_count) == ("H100", 1)
    # PyPI's torch 2.7 is a CUDA 12.6 build, which has Hopper kernels.
    assert chainlet.base_image.image == "nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04"
    assert chainlet.pip_requirements == ("torch==2.7.0",)
