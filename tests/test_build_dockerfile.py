"""Generated Dockerfiles: layer order, what each layer holds, hadolint, cache-friendliness."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from chains_build.contexts import build_contexts
from chains_build.dockerfile import render_dockerfile
from chains_build.planner import BuildOptions
from tests.build_helpers import HELLO_CHAIN, build, gpu_project, planned, write
from tests.deploy_helpers import EXAMPLE_CHAINS, build_example, require_tool, run

RICH_CHAIN = """
    import truss_chains as chains


    class Model(chains.ChainletBase):
        remote_config = chains.RemoteConfig(
            docker_image=chains.DockerImage(
                pip_requirements=["torch==2.3.0", "numpy>=1.26"],
                apt_requirements=["ffmpeg", "libsndfile1"],
                data_dir=chains.make_abs_path_here("data"),
                external_package_dirs=[chains.make_abs_path_here("vendor")],
            ),
            compute=chains.Compute(gpu="H100"),
            build_commands=[
                "git clone https://example.com/repo.git",
                "cd repo && pip install --no-cache-dir -r requirements.txt",
            ],
            assets=chains.Assets(secret_keys=["hf_token"]),
        )

        async def run_remote(self, text: str) -> str:
            return text
"""


def _rich_project(folder: Path) -> Path:
    write(folder, "data/weights.txt", "0.5\n")
    write(folder, "vendor/textlib/__init__.py", "")
    return write(folder, "chain.py", RICH_CHAIN)


def _instructions(dockerfile: str) -> list[str]:
    """The instruction lines (no comments, no continuation lines)."""
    return [
        line
        for line in dockerfile.splitlines()
        if line and not line.startswith((" ", "#"))
    ]


def test_layers_go_from_system_packages_to_the_server(tmp_path: Path) -> None:
    result = planned(_rich_project(tmp_path))
    text = render_dockerfile(result.plan, result.plan.entrypoint)
    order = [
        # torch 2.3's PyPI wheel is a CUDA 12.1 build: the lowest supported 12.x image.
        "FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04",
        "ENV UV_PYTHON_INSTALL_DIR=/opt/python",
        "RUN apt-get update",
        "RUN groupadd --gid 10001 chains",
        "COPY constraints.txt requirements-runtime.txt requirements.txt /opt/chains/",
        'RUN case "$(uname -m)" in x86_64)',
        "    && sha256sum -c /tmp/uv.sha256 \\\n",
        f"    && uv venv --seed --python {sys.version_info[0]}.{sys.version_info[1]} /opt/venv",
        "    && uv pip install --python /opt/venv/bin/python -c /opt/chains/constraints.txt "
        "-r /opt/chains/requirements-runtime.txt -r /opt/chains/requirements.txt \\\n"
        "    && rm /usr/local/bin/uv\n",
        "WORKDIR /app",
        "RUN ( git clone https://example.com/repo.git ) \\\n    && find /home/chains",
        "RUN ( cd repo && pip install --no-cache-dir -r requirements.txt ) \\\n",
        "COPY data/ /app/data/",
        "COPY chains_runtime/ /app/chains_runtime/",
        "COPY vendor/ /app/vendor/",
        "COPY chain.py /app/",
        "COPY chainlet_server.py /app/",
        "USER 10001:10001",
        "EXPOSE 8080",
        "HEALTHCHECK --interval=10s",
        'CMD ["python3", "chainlet_server.py", "--host", "0.0.0.0", "--port", "8080"]',
    ]
    positions = [text.index(line) for line in order]
    assert positions == sorted(positions)
    # The CUDA image has no Python: the apt layer fetches uv, which installs the chain's Python
    # (not Ubuntu's python3).
    apt_layer = text[text.index("RUN apt-get update") : text.index("RUN groupadd")]
    for package in ("ca-certificates", "curl", "unzip", "ffmpeg", "libsndfile1"):
        assert f"        {package} \\\n" in apt_layer
    assert "python3" not in apt_layer
    assert "rm -rf /var/lib/apt/lists/*" in apt_layer
    assert "hf_token" not in text  # secrets are mounted at run time, never built in


def test_a_python_base_has_no_apt_layer_without_apt_requirements(tmp_path: Path) -> None:
    result = planned(write(tmp_path, "chain.py", HELLO_CHAIN))
    text = render_dockerfile(result.plan, result.plan.entrypoint)
    assert text.startswith("# entrypoint HelloAll of chain HelloAll (chain.py).\n")
    assert f"FROM python:{sys.version_info.major}.{sys.version_info.minor}-slim\n" in text
    assert "apt-get" not in text
    assert "COPY install-uv.py constraints.txt requirements-runtime.txt /opt/chains/" in text
    assert "RUN python3 /opt/chains/install-uv.py \\\n" in text
    assert "--extra-index-url" not in text
    assert "HEALTHCHECK" in text and "/healthz" in text and "curl" not in text


def test_custom_python_executable_makes_the_venv(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "chain.py",
        """
        import truss_chains as chains


        class Model(chains.ChainletBase):
            remote_config = chains.RemoteConfig(
                docker_image=chains.DockerImage(
                    base_image=chains.CustomImage(
                        image="my/conda:1", python_executable_path="/opt/conda/bin/python"
                    )
                )
            )

            async def run_remote(self, text: str) -> str:
                return text
        """,
    )
    result = planned(path)
    text = render_dockerfile(result.plan, result.plan.entrypoint)
    assert "FROM my/conda:1\n" in text
    assert "RUN /opt/conda/bin/python /opt/chains/install-uv.py \\\n" in text
    assert "    && uv venv --seed --python /opt/conda/bin/python /opt/venv \\\n" in text


def _hadolint(*dockerfiles: Path) -> str:
    """hadolint's findings on ``dockerfiles``; the test fails on any error."""
    assert dockerfiles
    hadolint = require_tool("hadolint")
    checked = run(
        [hadolint, "--no-color", "--failure-threshold", "error", *map(str, dockerfiles)],
        cwd=dockerfiles[0].parent,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return checked.stdout


def test_generated_dockerfiles_pass_hadolint(tmp_path: Path) -> None:
    hello = planned(write(tmp_path / "hello", "chain.py", HELLO_CHAIN))
    rich = planned(_rich_project(tmp_path / "rich"))
    override = planned(
        tmp_path / "hello" / "chain.py", BuildOptions(base_image="chains-base:bookworm")
    )
    for number, result in enumerate((hello, rich, override)):
        for chainlet in result.plan.chainlets:
            dockerfile = tmp_path / f"Dockerfile.{number}.{chainlet.slug}"
            dockerfile.write_text(render_dockerfile(result.plan, chainlet))
            findings = _hadolint(dockerfile)
            if result is hello:  # nothing user-written in it: not even a warning
                assert findings == "", findings


@pytest.mark.parametrize("example", EXAMPLE_CHAINS)
def test_every_examples_dockerfiles_pass_hadolint_without_a_warning(
    example: str, tmp_path: Path
) -> None:
    out = build_example(example, tmp_path / "out")
    dockerfiles = sorted(out.glob("*/Dockerfile"))
    assert len(dockerfiles) == len(json.loads((out / "chain.json").read_text())["chainlets"])
    assert _hadolint(*dockerfiles) == ""


def test_a_gpu_chain_with_apt_pip_and_build_commands_passes_hadolint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert build(capsys, gpu_project(tmp_path / "src"), "-o", out)[0] == 0
    dockerfiles = sorted(out.glob("*/Dockerfile"))
    texts = [path.read_text() for path in dockerfiles]
    assert len(dockerfiles) == 2 and all("FROM nvidia/cuda:" in text for text in texts)
    assert all("apt-get install" in text and "# Build commands" in text for text in texts)
    findings = _hadolint(*dockerfiles)
    # Unpinned apt packages are the user's choice: a warning, never an error.
    assert {line.split()[1] for line in findings.splitlines()} <= {"DL3008"}, findings


def test_a_code_change_changes_only_the_last_layers_and_the_tag(tmp_path: Path) -> None:
    path = write(tmp_path, "chain.py", HELLO_CHAIN)
    before_plan, before = build_contexts(planned(path))
    path.write_text(path.read_text().replace("Hello, {name}", "Hi, {name}"))
    after_plan, after = build_contexts(planned(path))
    for old, new in zip(before, after, strict=True):
        old_files = {entry.path: entry for entry in old.entries}
        new_files = {entry.path: entry for entry in new.entries}
        # The Dockerfile does not change, so every layer up to the code COPY stays cached.
        assert old_files["Dockerfile"].content == new_files["Dockerfile"].content
        assert old_files["requirements-runtime.txt"] == new_files["requirements-runtime.txt"]
        assert old.digest != new.digest
        assert old.chainlet.image != new.chainlet.image
        instructions = _instructions((old_files["Dockerfile"].content or b"").decode())
        changed = instructions.index("COPY chain.py /app/")
        assert all(not line.startswith("RUN") for line in instructions[changed:])
    assert before_plan.chainlets[0].image.startswith("chains/hello-all:")
    assert after_plan.chainlets[0].image.startswith("chains/hello-all:")


def test_a_dependency_change_reaches_the_pip_layer(tmp_path: Path) -> None:
    path = write(tmp_path, "chain.py", RICH_CHAIN.replace("gpu=\"H100\"", "cpu_count=2"))
    write(tmp_path, "data/weights.txt", "0.5\n")
    write(tmp_path, "vendor/textlib/__init__.py", "")
    _, before = build_contexts(planned(path))
    path.write_text(path.read_text().replace("numpy>=1.26", "numpy>=2"))
    _, after = build_contexts(planned(path))
    old = {e.path: e for e in before[0].entries}
    new = {e.path: e for e in after[0].entries}
    assert old["requirements.txt"].content == b"torch==2.3.0\nnumpy>=1.26\n"
    assert new["requirements.txt"].content == b"torch==2.3.0\nnumpy>=2\n"
    assert old["Dockerfile"].content == new["Dockerfile"].content
