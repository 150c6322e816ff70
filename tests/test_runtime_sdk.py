"""chains_runtime's SDK: config types, markers, entrypoints, paths, and how mypy sees them."""

from __future__ import annotations

import functools
import importlib.util
import inspect
import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

import chains_runtime as chains
import pydantic
import pytest
from chains_runtime.injection import ContextMarker, DependencyMarker
from chains_runtime.markers import EntrypointInfo, entrypoint_info

ROOT = Path(__file__).resolve().parent.parent


class Leaf(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text


# Public API ###########################################################################


def test_public_api_names() -> None:
    required = {
        "ChainletBase", "depends", "depends_context", "mark_entrypoint", "RemoteConfig",
        "DockerImage", "BasetenImage", "CustomImage", "Compute", "Assets", "ChainletOptions",
        "DeploymentContext", "RPCOptions", "make_abs_path_here", "run_local",
    }  # fmt: skip
    assert required <= set(chains.__all__)
    for name in chains.__all__:
        assert hasattr(chains, name), name
    assert sorted(chains.__all__) == sorted(set(chains.__all__))


# Config types #########################################################################


def test_compute_defaults_match_the_concept_guide() -> None:
    compute = chains.Compute()
    assert (compute.cpu_count, compute.memory, compute.gpu) == (1, "2Gi", None)
    assert (compute.gpu_count, compute.predict_concurrency, compute.instance_type) == (1, 1, None)


def test_compute_values_and_cpu_count_concurrency() -> None:
    compute = chains.Compute(4, "16Gi", "A10G", 2, predict_concurrency="cpu_count")
    assert compute.predict_concurrency == 4
    assert (compute.gpu, compute.gpu_count, compute.memory) == ("A10G", 2, "16Gi")
    assert chains.Compute(gpu="", instance_type="").gpu is None
    assert chains.Compute(instance_type="H100:8x80").instance_type == "H100:8x80"


@pytest.mark.parametrize(
    ("kwargs", "needles"),
    [
        ({"memory": "2GB"}, ("memory", "'2GB'", "2Gi")),
        ({"cpu_count": 0}, ("cpu_count", "greater than or equal to 1")),
        ({"cpu_count": "2"}, ("cpu_count", "valid integer")),
        ({"gpu_count": 0}, ("gpu_count",)),
    ],
)
def test_compute_errors_name_the_field(kwargs: dict[str, object], needles: tuple[str, ...]) -> None:
    with pytest.raises(pydantic.ValidationError) as caught:
        chains.Compute(**kwargs)  # type: ignore[arg-type]
    for needle in needles:
        assert needle in str(caught.value)


def test_assets() -> None:
    assets = chains.Assets(secret_keys=["hf_access_token", "other"], cached=[{"repo_id": "x"}])
    assert assets.secret_keys == ("hf_access_token", "other")
    assert assets.cached == ({"repo_id": "x"},)
    with pytest.raises(chains.ChainsUsageError, match=r"secret_keys=\['hf_access_token'\]"):
        chains.Assets(secret_keys="hf_access_token")


def test_remote_config_defaults_and_fields() -> None:
    config = chains.RemoteConfig()
    assert config.docker_image.base_image is chains.BasetenImage.PY311
    assert config.compute == chains.Compute()
    assert config.assets.secret_keys == ()
    assert (config.name, config.build_commands) == (None, [])
    assert config.options.streaming_read_timeout == 60
    full = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            base_image=chains.CustomImage(image="python:3.11-slim"),
            pip_requirements=["pydantic"],
            apt_requirements=["ffmpeg"],
        ),
        compute=chains.Compute(gpu="L4"),
        assets=chains.Assets(secret_keys=["k"]),
        name="Pretty",
        options=chains.ChainletOptions(env_variables={"A": "1"}),
        build_commands=["echo hi"],
    )
    assert isinstance(full.docker_image.base_image, chains.CustomImage)
    assert full.docker_image.base_image.image == "python:3.11-slim"
    assert [b.value for b in chains.BasetenImage] == ["py39", "py310", "py311"]


def test_config_types_reject_unknown_fields_and_are_immutable() -> None:
    with pytest.raises(pydantic.ValidationError, match="gpus"):
        chains.RemoteConfig(gpus=1)  # type: ignore[call-arg]
    config = chains.RemoteConfig()
    with pytest.raises(pydantic.ValidationError):
        config.name = "x"


def test_docker_image_paths_and_one_requirements_file() -> None:
    image = chains.DockerImage(base_image="python:3.11", requirements_file="requirements.txt")
    assert image.requirements_file == "requirements.txt"
    with pytest.raises(pydantic.ValidationError, match="not both"):
        chains.DockerImage(pip_requirements_file="a.txt", requirements_file="b.txt")


def test_rpc_options() -> None:
    assert chains.RPCOptions() == chains.RPCOptions(
        retries=1, timeout_sec=600.0, use_binary=False, concurrency_limit=300
    )
    with pytest.raises(pydantic.ValidationError, match="timeout_sec"):
        chains.RPCOptions(timeout_sec=0)


def test_remote_config_of_the_wrong_type_fails_when_the_class_is_made() -> None:
    with pytest.raises(chains.ChainsUsageError, match=r"Bad.remote_config.*got dict"):

        class Bad(chains.ChainletBase):
            remote_config: ClassVar = {"compute": 1}  # type: ignore[assignment]


# Markers ##############################################################################


@chains.mark_entrypoint
class Holder(chains.ChainletBase):
    def __init__(
        self,
        leaf: Leaf = chains.depends(
            Leaf, retries=3, timeout_sec=5, use_binary=True, concurrency_limit=7
        ),
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        self.leaf = leaf
        self.context = context

    async def run_remote(self, text: str) -> str:
        return await self.leaf.run_remote(text)


def _default(parameter: str) -> object:
    return inspect.signature(Holder.__init__).parameters[parameter].default


def test_depends_leaves_a_marker_with_options() -> None:
    marker = _default("leaf")
    assert isinstance(marker, DependencyMarker)
    assert marker.chainlet_cls is Leaf
    assert marker.options == chains.RPCOptions(
        retries=3, timeout_sec=5.0, use_binary=True, concurrency_limit=7
    )
    assert repr(marker) == "<depends(Leaf)>"
    assert isinstance(_default("context"), ContextMarker)


# chains-lint reports these calls statically; `partial` keeps them out of its sight.
def test_depends_validates_its_options() -> None:
    with pytest.raises(pydantic.ValidationError, match="retries"):
        functools.partial(chains.depends, Leaf, retries=-1)()


@pytest.mark.parametrize("target", [int, "Leaf", object()])
def test_depends_needs_a_chainlet_class(target: object) -> None:
    with pytest.raises(chains.ChainsUsageError, match="expects a chainlet class"):
        functools.partial(chains.depends, target)()  # type: ignore[arg-type]


def test_using_a_marker_as_the_object_is_a_clear_error() -> None:
    marker = _default("leaf")
    with pytest.raises(chains.UnresolvedDependencyError, match=r"`depends\(Leaf\)`.*run_remote"):
        marker.run_remote("x")  # type: ignore[attr-defined]
    assert not hasattr(marker, "run_remote")
    with pytest.raises(chains.UnresolvedDependencyError, match=r"depends_context\(\).*secrets"):
        _ = _default("context").secrets  # type: ignore[attr-defined]


def test_mark_entrypoint_bare_and_named() -> None:
    @chains.mark_entrypoint
    class Bare(chains.ChainletBase):
        pass

    @chains.mark_entrypoint("My Chain")
    class Named(chains.ChainletBase):
        pass

    class Child(Named):
        pass

    assert entrypoint_info(Bare) is not None
    assert entrypoint_info(Bare).chain_name is None  # type: ignore[union-attr]
    assert entrypoint_info(Named).chain_name == "My Chain"  # type: ignore[union-attr]
    assert entrypoint_info(Child) is None  # not inherited
    assert entrypoint_info(Leaf) is None
    assert entrypoint_info(Holder) == EntrypointInfo(chain_name=None)


def test_mark_entrypoint_refuses_non_chainlets_and_empty_names() -> None:
    with pytest.raises(chains.ChainsUsageError, match="mark_entrypoint expects a chainlet class"):
        chains.mark_entrypoint(int)  # type: ignore[type-var]
    with pytest.raises(chains.ChainsUsageError, match="non-empty"):
        chains.mark_entrypoint(" ")


# make_abs_path_here ###################################################################


def test_make_abs_path_here_resolves_against_the_calling_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "pkg" / "sub"
    package.mkdir(parents=True)
    (package / "reqs.txt").write_text("pydantic\n")
    (package / "chainlet.py").write_text(
        "import chains_runtime as chains\n"
        'REQS = chains.make_abs_path_here("reqs.txt")\n'
        'SHARED = chains.make_abs_path_here("../shared.txt")\n'
    )
    spec = importlib.util.spec_from_file_location("abs_path_probe", package / "chainlet.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.chdir(ROOT)  # the working directory must not matter
    spec.loader.exec_module(module)
    reqs: chains.AbsPath = module.REQS
    assert reqs.abs_path == str(package / "reqs.txt")
    assert os.fspath(reqs) == str(package / "reqs.txt")
    assert reqs.original_path == "reqs.txt"
    shared: chains.AbsPath = module.SHARED
    assert os.fspath(shared) == str(tmp_path / "pkg" / "shared.txt")
    with pytest.raises(FileNotFoundError, match=r"make_abs_path_here\('../shared.txt'\)"):
        _ = shared.abs_path
    image = chains.DockerImage(requirements_file=reqs)
    assert image.requirements_file == reqs


def test_make_abs_path_here_from_this_file_and_from_exec() -> None:
    assert os.fspath(chains.make_abs_path_here("x.txt")) == str(Path(__file__).parent / "x.txt")
    assert os.fspath(chains.make_abs_path_here("/abs/x.txt")) == "/abs/x.txt"
    with pytest.raises(chains.ChainsUsageError, match="not a source file"):
        exec("import chains_runtime as c\nc.make_abs_path_here('x.txt')")


# Typing ###############################################################################

TYPED_CHAIN = '''
import asyncio

import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint("Typed")
class HelloAll(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=2))

    def __init__(
        self,
        say_hello: SayHello = chains.depends(SayHello, retries=2),
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        self._say_hello = say_hello
        self._token = context.secrets.get("token")

    async def run_remote(self, names: list[str]) -> str:
        greetings = await asyncio.gather(*(self._say_hello.run_remote(n) for n in names))
        return "\\n".join(greetings)
'''


def _mypy(folder: Path, text: str) -> subprocess.CompletedProcess[str]:
    (folder / "chain.py").write_text(text.replace("truss_chains", "chains_runtime"))
    env = {**os.environ, "MYPYPATH": str(ROOT / "runtime")}
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "chain.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


def test_mypy_sees_depends_as_the_dependency_type(tmp_path: Path) -> None:
    good = _mypy(tmp_path, TYPED_CHAIN)
    assert good.returncode == 0, good.stdout + good.stderr
    bad = _mypy(
        tmp_path,
        TYPED_CHAIN.replace("self._say_hello.run_remote(n)", "self._say_hello.run_remote(1)")
        + "\n\nreveal_type(chains.depends(SayHello))\n",
    )
    assert bad.returncode == 1, bad.stdout
    assert (
        'Argument 1 to "run_remote" of "SayHello" has incompatible type "int"; expected "str"'
        in bad.stdout
    )
    assert 'Revealed type is "chain.SayHello"' in bad.stdout
