"""The chains-build command: output folder, determinism, refusals, --explain, init, images."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from chains_build.errors import BuildError
from chains_build.output import write_atomically
from chains_lint import Config, lint_files
from tests.build_helpers import (
    HELLO_CHAIN,
    REPO,
    build,
    build_process,
    gpu_project,
    tree,
    write,
)

SECRET_CHAIN = """
    import truss_chains as chains


    class Model(chains.ChainletBase):
        remote_config = chains.RemoteConfig(
            docker_image=chains.DockerImage(data_dir=chains.make_abs_path_here("data")),
            assets=chains.Assets(secret_keys=["hf_token"]),
        )

        def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
            self._token = context.secrets["hf_token"]

        async def run_remote(self, text: str) -> str:
            return text
"""


def _siblings(folder: Path) -> list[str]:
    """What is next to ``folder`` (to see that no temporary folder is left behind)."""
    return sorted(path.name for path in folder.parent.iterdir())


def test_the_output_folder_holds_contexts_compose_k8s_and_chain_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    out = tmp_path / "out"
    status, stdout, stderr = build(capsys, chain, "-o", out)
    assert status == 0, stderr
    assert stdout == ""
    assert sorted(p.name for p in out.iterdir()) == [
        ".env",
        "HelloAll",
        "SayHello",
        "chain.json",
        "docker-compose.yaml",
        "k8s",
    ]
    assert sorted(p.name for p in (out / "SayHello").iterdir()) == [
        "Dockerfile",
        "chain.py",
        "chainlet_server.py",
        "chains_runtime",
        "constraints.txt",
        "install-uv.py",
        "requirements-runtime.txt",
    ]
    assert not list(out.rglob("__pycache__")) and not list(out.rglob("*.pyc"))
    document = json.loads((out / "chain.json").read_text())
    images = {c["class_name"]: c["image"] for c in document["chainlets"]}
    assert images["SayHello"].startswith("chains/say-hello:") and len(images["SayHello"]) == 29
    compose = (out / "docker-compose.yaml").read_text()
    assert images["SayHello"] in compose and images["HelloAll"] in compose
    assert sorted(p.name for p in (out / "k8s").iterdir())
    assert f"wrote {out}" in stderr
    assert _siblings(out) == ["out", "src"]


def test_the_same_input_gives_byte_identical_output(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    source = REPO / "examples" / "multi_file" / "chain.py"
    first, second = tmp_path / "first", tmp_path / "second"
    assert build(capsys, source, "-o", first)[0] == 0
    monkeypatch.chdir(tmp_path)  # another working directory, another output path
    assert build(capsys, source, "-o", "nested/second")[0] == 0
    (tmp_path / "nested" / "second").rename(second)
    assert tree(first) == tree(second)
    assert build(capsys, source, "-o", first)[0] == 0  # rebuilding replaces it: the same again
    assert tree(first) == tree(second)
    everything = b"".join(tree(first).values())
    assert str(tmp_path).encode() not in everything and str(REPO).encode() not in everything


def _copy_checkout(target: Path) -> dict[str, str]:
    """Copy the toolkit's packages and examples to ``target``; the environment that makes
    Python import them from there (ahead of the editable install)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("chains_lint", "chains_build", "runtime/chains_runtime", "examples"):
        shutil.copytree(REPO / folder, target / folder, ignore=ignore)
    return {"PYTHONPATH": os.pathsep.join([str(target), str(target / "runtime")])}


def test_another_checkout_and_another_folder_give_byte_identical_output(tmp_path: Path) -> None:
    outputs = []
    for checkout, work in (
        (tmp_path / "a" / "checkout", tmp_path / "a"),
        (tmp_path / "b" / "deeper" / "toolkit", tmp_path / "b" / "elsewhere"),
    ):
        environment = _copy_checkout(checkout)
        work.mkdir(parents=True, exist_ok=True)
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import chains_build, chains_runtime, chains_lint; "
                "print(chains_build.__file__, chains_runtime.__file__, chains_lint.__file__)",
            ],
            cwd=work,
            env={**os.environ, **environment},
            capture_output=True,
            text=True,
            check=True,
        )
        assert probe.stdout.split() == [
            str(checkout / "chains_build" / "__init__.py"),
            str(checkout / "runtime" / "chains_runtime" / "__init__.py"),
            str(checkout / "chains_lint" / "__init__.py"),
        ]
        project = gpu_project(work / "project")
        built = {}
        for name, chain in (("gpu", project), ("multi", checkout / "examples/multi_file/chain.py")):
            # One checkout is given relative paths, the other absolute ones.
            out = work / "out" / name
            args = (
                [chain, out]
                if checkout.name == "checkout"
                else [Path(os.path.relpath(chain, work)), Path(os.path.relpath(out, work))]
            )
            done = subprocess.run(
                [sys.executable, "-m", "chains_build.cli", args[0], "-o", args[1]],
                cwd=work,
                env={**os.environ, **environment},
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
            assert done.returncode == 0, done.stderr
            built[name] = tree(out)
        outputs.append(built)
    first, second = outputs
    for name in ("gpu", "multi"):
        assert "chain.json" in first[name] and "k8s/search.yaml" in first["gpu"]
        assert first[name] == second[name], name
        everything = b"".join(first[name].values())
        assert str(tmp_path).encode() not in everything
        assert str(REPO).encode() not in everything


def test_lint_errors_refuse_the_build_and_leave_out_untouched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    out = tmp_path / "out"
    assert build(capsys, chain, "-o", out)[0] == 0
    before = tree(out)
    chain.write_text(chain.read_text().replace("run_remote(n)", "run_remote(n, loud=True)"))
    status, stdout, stderr = build(capsys, chain, "-o", out)
    assert status == 1
    assert "CH507" in stdout  # the linter's findings, as chains-lint prints them
    assert "lint error(s): fix them, then build again" in stderr
    assert tree(out) == before
    fresh = tmp_path / "fresh"
    assert build(capsys, chain, "-o", fresh)[0] == 1
    assert not fresh.exists()
    assert _siblings(out) == ["out", "src"]


BAD_INPUT = [
    # (RemoteConfig arguments, the lint rule that reports it first or None, the build's error)
    ('compute=chains.Compute(instance_type="huge")', None, "cannot be mapped to resources"),
    ('compute=chains.Compute(instance_type="Z9:4x16")', None, 'unknown GPU "Z9"'),
    ('compute=chains.Compute(gpu="Z9")', "CH705", 'unknown GPU "Z9"; known GPUs: T4,'),
    (
        'docker_image=chains.DockerImage(data_dir=chains.make_abs_path_here("nodata"))',
        "CH721",
        "data_dir nodata does not exist",
    ),
    (
        "docker_image=chains.DockerImage("
        'external_package_dirs=[chains.make_abs_path_here("novendor")])',
        "CH721",
        "external_package_dirs entry novendor does not exist",
    ),
    (
        'docker_image=chains.DockerImage(data_dir="../elsewhere")',
        None,
        "elsewhere is outside the project folder",
    ),
    (
        'docker_image=chains.DockerImage(external_package_dirs=["/usr/lib"])',
        None,
        "external_package_dirs entry /usr/lib is outside the project folder",
    ),
    (
        'docker_image=chains.DockerImage(pip_requirements=["numpy\\nRUN rm -rf /"])',
        "CH717",
        "pip_requirements entry 'numpy\\nRUN rm -rf /' contains a line break",
    ),
    (
        'docker_image=chains.DockerImage(pip_requirements=["numpy\\\\", "torch"])',
        None,
        "ends with a backslash, which would join it to the next line of the requirements",
    ),
    (
        'docker_image=chains.DockerImage(apt_requirements=["ffmpeg\\nRUN rm -rf /"])',
        "CH717",
        "apt_requirements entry 'ffmpeg\\nRUN rm -rf /' contains a line break",
    ),
    (
        'docker_image=chains.DockerImage(apt_requirements=["curl && rm -rf /"])',
        None,
        "not a Debian package name",
    ),
    (
        'build_commands=["echo a\\nRUN echo b"]',
        "CH717",
        "contains a line break, which would break the Dockerfile",
    ),
    ('build_commands=["echo a \\\\"]', None, "ends with a backslash"),
]


@pytest.mark.parametrize(("config", "rule", "expected"), BAD_INPUT)
def test_bad_input_is_a_one_line_error_that_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    config: str,
    rule: str | None,
    expected: str,
) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "file").write_text("x")
    chain = write(
        tmp_path / "src",
        "chain.py",
        f"""
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig({config})

    async def run_remote(self, text: str) -> str:
        return text
""",
    )
    out = tmp_path / "out"
    if rule is not None:
        # The linter finds it first; with its rule switched off the build still refuses it.
        status, stdout, stderr = build(capsys, chain, "-o", out)
        assert status == 1 and rule in stdout and "lint error(s)" in stderr
        write(tmp_path / "src", "pyproject.toml", f'[tool.chains-lint]\nignore = ["{rule}"]\n')
    status, _, stderr = build(capsys, chain, "-o", out)
    assert status == 1
    (error,) = stderr.splitlines()
    assert error.startswith("chainlet `Model`: ", len("chains-build: error: ")), stderr
    assert expected in error, stderr
    assert not out.exists()
    assert _siblings(out) == ["elsewhere", "src"]  # no temporary folder left behind


def test_an_existing_folder_that_is_not_a_build_is_refused_not_deleted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    precious = write(tmp_path / "out", "thesis.txt", "do not delete\n")
    status, _, stderr = build(capsys, chain, "-o", tmp_path / "out")
    assert status == 1 and "is not a chains-build output" in stderr
    assert precious.read_text() == "do not delete\n"
    (tmp_path / "empty").mkdir()
    assert build(capsys, chain, "-o", tmp_path / "empty")[0] == 0  # an empty folder is fine
    assert (tmp_path / "empty" / "chain.json").is_file()


def test_a_failure_while_writing_leaves_out_as_it_was(tmp_path: Path) -> None:
    out = write(tmp_path / "out", "chain.json", '{"generated_by": "chains-build"}\n').parent
    before = tree(out)

    def fail(folder: Path) -> None:
        (folder / "half-written").write_text("x")
        raise BuildError("disk full")

    with pytest.raises(BuildError, match="disk full"):
        write_atomically(out, fail)
    assert tree(out) == before
    assert _siblings(out) == ["out"]
    # A new OUT in folders that do not exist yet: they are not left behind either.
    with pytest.raises(BuildError, match="disk full"):
        write_atomically(tmp_path / "new" / "deeper" / "out", fail)
    assert _siblings(out) == ["out"]


def test_explain_prints_why_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(
        tmp_path,
        "chain.py",
        """
        import truss_chains as chains


        class Embed(chains.ChainletBase):
            remote_config = chains.RemoteConfig(
                docker_image=chains.DockerImage(pip_requirements=["torch==2.7.1"]),
                compute=chains.Compute(gpu="B200"),
            )

            async def run_remote(self, text: str) -> list[float]:
                return [0.0]


        @chains.mark_entrypoint("Search")
        class Search(chains.ChainletBase):
            def __init__(self, embed: Embed = chains.depends(Embed)) -> None:
                self._embed = embed

            async def run_remote(self, text: str) -> list[float]:
                return await self._embed.run_remote(text)
        """,
    )
    monkeypatch.chdir(tmp_path)
    status, stdout, _ = build(capsys, "chain.py", "--explain", "--python", "3.12")
    assert status == 0
    assert stdout.startswith("Chain Search (chain.py), Python 3.12\n\nSearch (entrypoint)\n")
    assert "  base image: python:3.12-slim\n" in stdout
    assert "  base image: nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04\n" in stdout
    assert "    - GPU B200 (Blackwell, compute capability 10.0) needs CUDA >= 12.8\n" in stdout
    # PyPI's torch 2.7.1 is a CUDA 12.6 build without Blackwell kernels: the cu128 build it is.
    assert (
        "    - torch==2.7.1: PyPI's torch 2.7 wheel is built for CUDA 12.6, but B200 needs a "
        "build for CUDA >= 12.8\n" in stdout
    )
    assert (
        "    - so torch comes from the PyTorch index's CUDA 12.8 build "
        "(https://download.pytorch.org/whl/cu128)\n" in stdout
    )
    assert "with Python 3.12 installed by uv, not Ubuntu's python3\n" in stdout
    # No cpu_count/memory with a GPU: the GPU table's share, not 1 CPU and 2Gi.
    assert (
        "  resources:  20 CPU, 200Gi memory, 1x B200 "
        "(from the GPU table, 1x B200: no cpu_count/memory given)\n" in stdout
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.py"]


def test_explain_gives_every_chainlet_its_base_resources_and_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = gpu_project(tmp_path)
    status, stdout, stderr = build(capsys, "--explain", chain)
    assert status == 0, stderr
    blocks = stdout.split("\n\n")
    assert blocks[0] == "Chain Search (chain.py), Python " + ".".join(
        map(str, sys.version_info[:2])
    )
    search, embed = blocks[1].splitlines(), blocks[2].splitlines()
    assert search[:4] == [
        "Search (entrypoint)",
        "  base image: nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04",
        "    - GPU L4 (Ada Lovelace, compute capability 8.9) needs CUDA >= 11.8",
        "    - no torch in the requirements: the lowest CUDA image NVIDIA supports that serves "
        "the GPU, 12.4 (a torch a package chains-build does not know brings in keeps PyPI's "
        "CUDA: list torch to choose it)",
    ]
    assert "  resources:  4 CPU, 16Gi memory, 1x L4 (from instance_type L4:4x16)" in search
    assert "  calls:      Embed" in search
    assert embed[0] == "Embed"
    assert (
        "    - torch==2.7.1: PyPI's torch 2.7 wheel is built for CUDA 12.6, which serves H100"
        in embed
    )
    assert "  base image: nvidia/cuda:12.6.3-cudnn-runtime-ubuntu24.04" in embed
    assert "  resources:  16 CPU, 160Gi memory, 2x H100 (from instance_type H100:2x16x160)" in embed
    assert "  data:       weights -> /app/weights" in embed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chain.py", "vendor", "weights"]


def test_base_image_option_reaches_every_dockerfile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    out = tmp_path / "out"
    assert build(capsys, chain, "-o", out, "--base-image", "chains-base:bookworm")[0] == 0
    for name in ("HelloAll", "SayHello"):
        dockerfile = (out / name / "Dockerfile").read_text()
        assert "\nFROM chains-base:bookworm\n" in dockerfile
        assert "apt-get" not in dockerfile  # the base brings python3 and venv
    reasons = json.loads((out / "chain.json").read_text())["chainlets"][0]["base_image"]
    assert reasons["image"] == "chains-base:bookworm"


def test_no_secret_value_reaches_the_output(tmp_path: Path) -> None:
    write(tmp_path / "src", "data/readme.txt", "public data\n")
    chain = write(tmp_path / "src", "chain.py", SECRET_CHAIN)
    values = {
        "CHAINS_SECRET_hf_token": "hf_sEcReT-value-1",
        "HF_TOKEN": "hf_sEcReT-value-2",
        "CHAINS_SERVICE_TOKEN": "sEcReT-service-token",
        "CHAINS_API_KEY": "sEcReT-api-key",
    }
    secrets_dir = tmp_path / "secrets"
    write(secrets_dir, "hf_token", "hf_sEcReT-value-3")
    # Secrets kept beside the chain, as compose and chains-run read them, stay out too.
    write(tmp_path / "src", "secrets/hf_token", "hf_sEcReT-value-4")
    write(tmp_path / "src", ".env", "CHAINS_SERVICE_TOKEN=sEcReT-value-5\n")
    done = build_process(
        chain,
        "-o",
        tmp_path / "out",
        cwd=tmp_path,
        env={**values, "CHAINS_SECRETS_DIR": str(secrets_dir)},
    )
    assert done.returncode == 0, done.stderr
    output = b"".join(tree(tmp_path / "out").values())
    assert b"hf_token" in output  # the name is there, so the grep below looks in the right files
    assert b"sEcReT" not in output
    assert b"sEcReT" not in (done.stdout + done.stderr).encode()


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chain = write(tmp_path, "chain.py", HELLO_CHAIN)
    for args, expected in (
        ((chain,), "-o OUT"),
        ((tmp_path / "missing.py", "-o", tmp_path / "o"), "not a chain file"),
        ((chain, "-o", tmp_path / "o", "--port", "0"), "not a port number"),
        ((), "the following arguments are required"),
    ):
        status, _, stderr = build(capsys, *args)
        assert status == 2, (args, stderr)
        assert expected in stderr
    assert not (tmp_path / "o").exists()


def test_images_need_a_docker_daemon_and_say_so(tmp_path: Path) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    done = build_process(
        chain,
        "-o",
        tmp_path / "out",
        "--push",
        "registry.example.com:5000/team",
        cwd=tmp_path,
        env={"DOCKER_HOST": f"unix://{tmp_path}/no-docker.sock"},
    )
    assert done.returncode == 1
    assert "no Docker daemon is reachable" in done.stderr and "DOCKER_HOST" in done.stderr
    assert "Traceback" not in done.stderr
    # The contexts are written first, tagged for the registry the images would be pushed to.
    compose = (tmp_path / "out" / "docker-compose.yaml").read_text()
    assert "registry.example.com:5000/team/chains/say-hello:" in compose


def test_init_scaffolds_a_chain_that_lints_and_builds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "my-chain"
    status, _, stderr = build(capsys, "init", folder)
    assert status == 0, stderr
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "chain.py"]
    result = lint_files([folder / "chain.py"], Config())
    assert result.diagnostics == []
    assert lint_files([folder / "chain.py"], Config(profile="truss")).diagnostics == []
    # It runs as its README says, each chainlet a process or all in one.
    names = '{"names": ["Ada", "Grace"]}'
    assert f"`chains-run chain.py --input '{names[:10]}" in (folder / "README.md").read_text()
    chains_run = Path(sys.executable).with_name("chains-run")
    for mode in ([], ["--in-process"]):
        ran = subprocess.run(
            [str(chains_run), "chain.py", *mode, "--input", names],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert ran.returncode == 0, (mode, ran.stderr)
        assert json.loads(ran.stdout) == ["Hello, Ada!", "Hello, Grace!"], mode
    assert build(capsys, folder / "chain.py", "-o", tmp_path / "out")[0] == 0
    plan = json.loads((tmp_path / "out" / "chain.json").read_text())
    assert plan["chain"] == "my-chain" and len(plan["chainlets"]) == 2
    status, _, stderr = build(capsys, "init", folder)
    assert status == 1 and "is not empty" in stderr


def test_an_output_folder_inside_copied_data_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "data/readme.txt", "public data\n")
    chain = write(tmp_path, "chain.py", SECRET_CHAIN)
    status, _, stderr = build(capsys, chain, "-o", tmp_path / "data" / "build")
    assert status == 1 and "which chainlet `Model` copies into its image" in stderr
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["readme.txt"]


def test_a_rebuild_keeps_the_deployers_env_file_and_secrets(tmp_path: Path) -> None:
    chain = write(tmp_path / "src", "chain.py", HELLO_CHAIN)
    out = tmp_path / "build"
    assert build_process(chain, "-o", out, cwd=tmp_path).returncode == 0
    (out / ".env").write_text("CHAINS_SERVICE_TOKEN=kept-token\n")
    write(out / "secrets", "hf_access_token", "kept-secret")
    write(tmp_path / "src", "chain.py", HELLO_CHAIN.replace('f"Hello, ', 'f"Howdy, '))
    done = build_process(chain, "-o", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Howdy" in (out / "SayHello" / "chain.py").read_text()
    assert (out / ".env").read_text() == "CHAINS_SERVICE_TOKEN=kept-token\n"
    assert (out / "secrets" / "hf_access_token").read_text() == "kept-secret"
    assert _siblings(out) == ["build", "src"]
