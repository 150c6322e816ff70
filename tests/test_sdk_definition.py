"""One definition of the SDK (issue 12.1).

- The linter's tables of the SDK's constructors and ``depends()`` options are generated from the
  runtime's models (``scripts/generate_sdk_tables.py``); they must be current, and a new field
  must show up in them (so it cannot become a false CH702).
- The memory-quantity grammar and the GPU table exist once; the linter imports neither pydantic
  nor the runtime.
- ``chains_build`` uses the linter through ``chains_lint.model``, ``chains_lint.api`` and
  ``chains_lint.errors`` only; the wiring it writes is a valid ``ChainletWiring``.
- Positions come from libcst's public API, and the installed libcst is in the declared range.
- An annotation of ``run_remote`` the server cannot resolve stops it at start-up.
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.metadata
import importlib.util
import inspect
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path, PurePosixPath
from types import ModuleType

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

import chains_runtime
import libcst
import pydantic
import pytest
from chains_runtime import definitions
from chains_runtime.errors import ChainsUsageError
from chains_runtime.memory_quantity import parse_memory as runtime_parse_memory
from chains_runtime.server.signature import RunRemoteSpec
from chains_runtime.wiring import ChainletWiring, WiringError, deployment_wiring, parse_wiring
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from chains_build.errors import BuildError
from chains_build.instance_types import GPU_MODELS, GPU_NODE_PRODUCTS
from chains_build.runtime_contract import wiring_config, wiring_json
from chains_lint.model import types as model_types
from chains_lint.model.accelerators import ACCELERATORS
from chains_lint.model.depends_options import OPTION_NAMES, RUNTIME_OPTION_DEFAULTS
from chains_lint.model.memory_quantity import parse_memory as linter_parse_memory
from chains_lint.model.remote_config.constructors import KEYWORD_ONLY, PARAMETERS
from tests.build_helpers import planned
from tests.lint_helpers import lint_text

REPO = Path(__file__).resolve().parent.parent
GENERATOR = REPO / "scripts" / "generate_sdk_tables.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_sdk_tables", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


# -- the generated tables ---------------------------------------------------------------------


def test_the_generated_files_are_current() -> None:
    result = subprocess.run(
        [sys.executable, str(GENERATOR), "--check"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


def test_a_new_runtime_field_changes_the_tables() -> None:
    generator = _generator()

    class ChainletOptions(definitions.ChainletOptions):
        brand_new_option: int = pydantic.Field(default=3, ge=2)

    runtime = generator.runtime_sources()
    constructors = tuple(
        ChainletOptions if model is definitions.ChainletOptions else model
        for model in runtime.constructors
    )
    sources = dataclasses.replace(runtime, constructors=constructors)
    text = generator.render_tables(sources)
    assert text != (REPO / "chains_lint" / "model" / "sdk_tables.py").read_text(encoding="utf-8")
    assert '"brand_new_option",' in text and '"brand_new_option": 3,' in text
    assert generator.stale_files(sources) == [generator.TABLES_PATH]
    assert generator.stale_files() == []


def _runtime_parameters(model: type[pydantic.BaseModel]) -> tuple[str, ...]:
    """The constructor's parameters: its own ``__init__``'s, else the model's fields."""
    init = model.__dict__.get("__init__")
    if init is None:
        return tuple(model.model_fields)
    return tuple(name for name in inspect.signature(init).parameters if name != "self")


@pytest.mark.parametrize(
    "model",
    [definitions.RemoteConfig, definitions.DockerImage, definitions.Compute, definitions.Assets,
     definitions.CustomImage, definitions.ChainletOptions],
    ids=lambda model: model.__name__,
)  # fmt: skip
def test_the_linter_knows_every_parameter_of_the_runtime(model: type[pydantic.BaseModel]) -> None:
    assert PARAMETERS[model.__name__] == _runtime_parameters(model)
    assert (model.__name__ in KEYWORD_ONLY) == ("__init__" not in model.__dict__)


def test_depends_options_follow_the_runtime_signature() -> None:
    parameters = list(inspect.signature(chains_runtime.depends).parameters.values())[1:]
    assert tuple(p.name for p in parameters if p.kind is not p.KEYWORD_ONLY) == OPTION_NAMES
    assert {
        p.name: p.default for p in parameters if p.kind is p.KEYWORD_ONLY
    } == RUNTIME_OPTION_DEFAULTS
    assert set(definitions.RPCOptions.model_fields) == {p.name for p in parameters}


# Fields the chain model records differently from the runtime's default.
_RECORDED_DIFFERENTLY = {
    "base_image",  # BasetenImage.PY311 is recorded as None: "not given"
    "external_package_dirs",  # None is recorded as []: no folders
}


@pytest.mark.parametrize(
    ("config", "model", "only_in_linter"),
    [
        (model_types.ComputeConfig, definitions.Compute, set()),
        (model_types.AssetsConfig, definitions.Assets, set()),
        (model_types.ChainletOptionsConfig, definitions.ChainletOptions, set()),
        # CustomImage's fields are kept beside DockerImage's.
        (model_types.DockerImageConfig, definitions.DockerImage,
         {"python_executable_path", "docker_auth"}),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)  # fmt: skip
def test_the_chain_models_config_records_have_the_runtimes_fields_and_defaults(
    config: type, model: type[pydantic.BaseModel], only_in_linter: set[str]
) -> None:
    fields = {f.name: f for f in dataclasses.fields(config)}
    assert set(fields) - only_in_linter == set(model.model_fields)
    for name, default in _generator().literal_defaults(model).items():
        if name in _RECORDED_DIFFERENTLY:
            continue
        field = fields[name]
        mine = (
            field.default
            if field.default_factory is dataclasses.MISSING
            else field.default_factory()
        )
        assert mine == default, name


def _every_parameter_chain() -> str:
    def call(symbol: str, values: dict[str, str]) -> str:
        return f"chains.{symbol}(" + ", ".join(f"{k}={v}" for k, v in values.items()) + ")"

    values = {
        "Compute": {"cpu_count": "2", "memory": '"4Gi"', "gpu": '"L4"', "gpu_count": "1",
                    "predict_concurrency": "2", "instance_type": '"L4:4x16"'},
        "Assets": {"cached": "[]", "secret_keys": '["token"]', "external_data": "[]",
                   "weights": "[]"},
        "ChainletOptions": {"enable_b10_tracing": "False", "enable_debug_logs": "True",
                            "env_variables": '{"A": "b"}', "health_checks": "None",
                            "metadata": '{"k": 1}', "streaming_read_timeout": "30",
                            "transport": "None", "run_remote_timeout_sec": "10",
                            "max_connections": "64", "idle_timeout_sec": "5",
                            "head_timeout_sec": "5", "body_timeout_sec": "30",
                            "max_head_bytes": "4096"},
        "DockerImage": {"base_image": "chains.BasetenImage.PY311",
                        "pip_requirements": '["httpx"]', "apt_requirements": '["curl"]',
                        "external_package_dirs": "None",
                        "truss_server_version_override": "None"},
    }  # fmt: skip
    for symbol, given in values.items():
        missing = set(PARAMETERS[symbol]) - set(given) - {
            "pip_requirements_file", "requirements_file", "data_dir"
        }  # fmt: skip
        assert not missing, f"test chain lacks {symbol} parameters {sorted(missing)}"
    remote = call(
        "RemoteConfig",
        {"docker_image": call("DockerImage", values["DockerImage"]),
         "compute": call("Compute", values["Compute"]),
         "assets": call("Assets", values["Assets"]), "name": '"Every"',
         "options": call("ChainletOptions", values["ChainletOptions"]),
         "build_commands": '["true"]'},
    )  # fmt: skip
    return textwrap.dedent(
        """\
        import truss_chains as chains


        class Every(chains.ChainletBase):
            remote_config = REMOTE

            async def run_remote(self, text: str) -> str:
                return text
        """
    ).replace("REMOTE", remote)


def test_no_parameter_of_the_runtime_is_unknown_to_the_linter(tmp_path: Path) -> None:
    found = lint_text(tmp_path, _every_parameter_chain())
    assert [d for d in found if d.code == "CH702"] == []


def test_linting_imports_neither_pydantic_nor_the_runtime() -> None:
    code = (
        "import sys\nfrom pathlib import Path\nfrom chains_lint.config import Config\n"
        "from chains_lint.linter import lint_paths\n"
        "result = lint_paths([Path('examples')], Config())\n"
        "assert result.modules, 'nothing linted'\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'pydantic', 'chains_runtime'}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# -- the memory grammar and the GPU table ------------------------------------------------------


@pytest.mark.parametrize(
    "quantity",
    ["2Gi", "512Mi", "16G", "1.5Gi", ".5Gi", "1e9", "1E3", "100", "0", "16GB", "16gi", "2 Gi",
     "", "Gi", "-1Gi", "1e400", "1e", "16Gi ", "1.Ki"],
)  # fmt: skip
def test_the_runtime_and_the_linter_read_memory_alike(quantity: str) -> None:
    size = linter_parse_memory(quantity)
    assert size == runtime_parse_memory(quantity)
    if size is None:
        with pytest.raises(pydantic.ValidationError, match="memory quantity"):
            definitions.Compute(memory=quantity)
    else:
        assert definitions.Compute(memory=quantity).memory == quantity


def test_an_overflowing_memory_quantity_is_no_crash(tmp_path: Path) -> None:
    source = _every_parameter_chain().replace('memory="4Gi"', 'memory="1e400"')
    found = lint_text(tmp_path, source)
    assert [d.code for d in found if "1e400" in d.message] == ["CH706"]


def test_the_build_places_exactly_the_documented_gpus_of_the_one_table() -> None:
    documented = [a for a in ACCELERATORS if not a.internal]
    assert set(GPU_NODE_PRODUCTS) == {a.name for a in documented}
    assert [(m.name, m.memory_gb) for m in GPU_MODELS] == [
        (a.name, a.memory_gb) for a in documented
    ]


# -- what chains_build uses of the linter ------------------------------------------------------

_PUBLIC_LINTER_MODULES = re.compile(r"chains_lint\.(model(\..+)?|api|errors)")


def test_the_build_imports_only_the_linters_public_modules() -> None:
    wrong = []
    for path in sorted((REPO / "chains_build").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.split(".")[0] == "chains_lint" and not _PUBLIC_LINTER_MODULES.fullmatch(
                    name
                ):
                    wrong.append(f"{path.relative_to(REPO)}:{node.lineno}: {name}")
    assert wrong == []


def test_usage_error_lives_in_errors_and_keeps_its_old_name() -> None:
    from chains_lint import UsageError
    from chains_lint.discovery import UsageError as from_discovery
    from chains_lint.errors import UsageError as shared

    assert UsageError is shared is from_discovery


@pytest.mark.parametrize(
    "chain", sorted(p.relative_to(REPO).as_posix() for p in (REPO / "examples").glob("*/chain.py"))
)
def test_the_build_writes_wiring_the_runtime_accepts(chain: str) -> None:
    try:
        plan = planned(REPO / chain).plan
    except Exception as exc:  # an example another tool builds differently
        pytest.skip(f"{chain} is not planned by chains-build: {exc}")
    for chainlet in plan.chainlets:
        config = wiring_config(plan, chainlet, secrets_dir=PurePosixPath("/secrets"))
        assert set(config) <= set(ChainletWiring.model_fields)
        wiring = parse_wiring(json.dumps(config), environ={"CHAINS_SERVICE_TOKEN": "t"})
        assert wiring.model_dump(mode="json", include=set(config)) == config


def test_the_build_refuses_wiring_the_runtime_would_refuse() -> None:
    plan = planned(REPO / "examples" / "hello" / "chain.py").plan
    chainlet = dataclasses.replace(plan.chainlets[0], predict_concurrency=0)
    with pytest.raises(BuildError) as raised:
        wiring_config(plan, chainlet, secrets_dir=PurePosixPath("/secrets"))
    message = str(raised.value)
    assert f"`{chainlet.class_name}`" in message and "predict_concurrency" in message


def test_deployment_wiring_needs_no_token_and_writes_only_what_it_is_given() -> None:
    written = deployment_wiring(chainlet="Leaf", is_entrypoint=False, secrets_dir="/run/s")
    assert written == {"chainlet": "Leaf", "is_entrypoint": False, "secrets_dir": "/run/s"}
    with pytest.raises(WiringError, match="requires a service token"):
        parse_wiring(json.dumps(written), environ={})
    with pytest.raises(WiringError, match="run_remote_timeout_sec: Input should be greater"):
        deployment_wiring(chainlet="Leaf", run_remote_timeout_sec=-1)
    with pytest.raises(WiringError, match="retries: Extra inputs"):
        deployment_wiring(chainlet="Leaf", retries=3)
    with pytest.raises(WiringError, match="service_token must not be written"):
        deployment_wiring(chainlet="Leaf", service_token="s3cr3t")


def test_the_wiring_text_is_pinned_whatever_the_host_and_the_insertion_order() -> None:
    plan = planned(REPO / "examples" / "hello" / "chain.py").plan
    chainlet = dataclasses.replace(
        plan.chainlets[0], data_dir="data", run_remote_timeout_sec=600, predict_concurrency=4
    )
    text = wiring_json(plan, chainlet, secrets_dir=PurePosixPath("/run/secrets"), indent=None)
    deps = json.dumps({name: plan.dependency_url(name) for name in chainlet.dependencies})
    assert text == (
        f'{{"chainlet":"{chainlet.class_name}","is_entrypoint":'
        f'{json.dumps(chainlet.is_entrypoint)},"dependencies":{deps.replace(" ", "")},'
        '"secrets_dir":"/run/secrets","data_dir":"/app/data","predict_concurrency":4,'
        '"run_remote_timeout_sec":600}'
    )
    parsed = parse_wiring(text, environ={"CHAINS_SERVICE_TOKEN": "t"})
    assert parsed.data_dir == Path("/app/data") and parsed.run_remote_timeout_sec == 600


def test_importing_the_wiring_loads_no_server_and_every_public_name_still_resolves() -> None:
    probe = textwrap.dedent(
        """
        import json, sys
        import chains_runtime.wiring
        heavy = ("fastapi", "uvicorn", "httpx", "starlette", "chains_runtime.definitions",
                 "chains_runtime.chainlet", "chains_runtime.context")
        before = sorted(m for m in heavy if m in sys.modules)
        import chains_runtime
        listed = sorted(dir(chains_runtime))
        public = chains_runtime.__all__
        names = {name: type(getattr(chains_runtime, name)).__name__ for name in public}
        print(json.dumps({"before": before, "names": names, "dir": listed}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=REPO
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["before"] == []
    assert set(seen["names"]) == set(chains_runtime.__all__)
    assert seen["names"]["ChainletBase"] == "ABCMeta" and seen["names"]["depends"] == "function"
    assert set(chains_runtime.__all__) <= set(seen["dir"])  # listed before any was loaded
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        chains_runtime.Nope  # type: ignore[attr-defined]  # noqa: B018


def test_the_lazy_package_lists_each_public_name_once_in_all_three_places() -> None:
    """``__all__``, the table ``__getattr__`` loads from, and the imports type checkers read."""
    tree = ast.parse((REPO / "runtime" / "chains_runtime" / "__init__.py").read_text("utf-8"))
    checked_imports: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "_typing.TYPE_CHECKING":
            for statement in node.body:
                assert isinstance(statement, ast.ImportFrom) and statement.module is not None
                for alias in statement.names:
                    checked_imports[alias.asname or alias.name] = statement.module
    homes = chains_runtime._HOMES
    assert checked_imports == homes
    assert sorted(chains_runtime.__all__) == sorted(homes)
    assert len(set(chains_runtime.__all__)) == len(chains_runtime.__all__)


# -- libcst --------------------------------------------------------------------------------------


def test_the_installed_libcst_is_in_the_declared_range() -> None:
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    requirements = [r for r in declared["project"]["dependencies"] if r.startswith("libcst")]
    assert len(requirements) == 1
    specifier = SpecifierSet(requirements[0].removeprefix("libcst"))
    assert any(s.operator == "<" for s in specifier), "the range needs an upper bound"
    installed = Version(importlib.metadata.version("libcst"))
    assert installed in specifier, f"libcst {installed} is outside {specifier}"


_PRIVATE_LIBCST = re.compile(r"\._codegen\b|\._computed\b|from libcst[\w.]* import _|libcst\._")


def test_the_linter_uses_no_private_libcst_name() -> None:
    found = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "chains_lint").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _PRIVATE_LIBCST.search(line)
    ]
    assert found == []


def test_reading_the_mro_answers_as_issubclass_for_every_libcst_node_class() -> None:
    """``walk.derives_from`` assumes libcst registers no virtual subclasses on its ABCs: for
    every pair of libcst node classes, ``issubclass`` and the MRO agree."""
    from chains_lint.model.walk import TOKEN_BASES, derives_from

    node_classes = [
        value
        for value in vars(libcst).values()
        if isinstance(value, type) and issubclass(value, libcst.CSTNode)
    ]
    assert len(node_classes) > 150 and set(TOKEN_BASES) <= set(node_classes)
    wrong = [
        f"{cls.__name__} / {base.__name__}"
        for cls in node_classes
        for base in node_classes
        if derives_from(cls, frozenset({base})) != issubclass(cls, base)
    ]
    assert wrong == []


# -- annotations the server cannot resolve -----------------------------------------------------

_UNRESOLVABLE = '''\
from __future__ import annotations

from typing import TYPE_CHECKING

import truss_chains as chains

if TYPE_CHECKING:
    from decimal import Decimal


class Pricer(chains.ChainletBase):
    async def run_remote(self, count: int, price: Decimal) -> str:
        return str(count)
'''


def test_an_unresolvable_annotation_is_an_error_naming_it() -> None:
    namespace: dict[str, object] = {}
    exec(compile(_UNRESOLVABLE, "<chain>", "exec"), namespace)
    with pytest.raises(ChainsUsageError) as caught:
        RunRemoteSpec.from_chainlet(namespace["Pricer"])  # type: ignore[arg-type]
    message = str(caught.value)
    assert "`Pricer`" in message and "parameter `price`" in message and "`Decimal`" in message
    assert "TYPE_CHECKING" in message


def test_an_unresolvable_return_annotation_is_named_too() -> None:
    namespace: dict[str, object] = {}
    source = _UNRESOLVABLE.replace("price: Decimal) -> str", "price: float) -> Decimal")
    exec(compile(source, "<chain>", "exec"), namespace)
    with pytest.raises(ChainsUsageError, match="the return annotation of `run_remote`"):
        RunRemoteSpec.from_chainlet(namespace["Pricer"])  # type: ignore[arg-type]


def test_the_server_refuses_to_start_with_an_unresolvable_annotation(tmp_path: Path) -> None:
    (tmp_path / "chain.py").write_text(_UNRESOLVABLE, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}
    environ["CHAINS_CONFIG"] = json.dumps({"chainlet": "Pricer", "is_entrypoint": True})
    result = subprocess.run(
        [sys.executable, "-m", "chains_runtime.serve", str(tmp_path / "chain.py") + ":Pricer",
         "--host", "127.0.0.1", "--port", "0"],
        env=environ, capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert f"{tmp_path / 'chain.py'}:12: chainlet `Pricer`" in result.stderr
    assert "parameter `price`" in result.stderr and "`Decimal`" in result.stderr


def test_resolvable_annotations_still_validate_every_parameter() -> None:
    namespace: dict[str, object] = {}
    source = _UNRESOLVABLE.replace("if TYPE_CHECKING:\n    from", "if True:\n    from")
    exec(compile(source, "<chain>", "exec"), namespace)
    model = RunRemoteSpec.from_chainlet(namespace["Pricer"]).request_model  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError, match="count"):
        model.model_validate({"count": "not an int", "price": "1.5"})


# -- the truss profile: what truss's constructors take ------------------------------------------

_TRUSS_PYTHON = REPO / ".cache" / "truss-venv-0.18.36" / "bin" / "python"
_TRUSS_PARAMETERS = """
import inspect, json
import truss_chains
out = {}
for name in NAMES:
    cls = getattr(truss_chains, name)
    if "__init__" in cls.__dict__:
        out[name] = [p for p in inspect.signature(cls.__init__).parameters if p != "self"]
    else:
        out[name] = list(cls.model_fields)
out["depends"] = list(inspect.signature(truss_chains.depends).parameters)[1:]
print(json.dumps(out))
"""


def test_runtime_only_parameters_are_exactly_what_truss_lacks() -> None:
    from chains_lint.model.remote_config.constructors import RUNTIME_ONLY_PARAMETERS

    if not _TRUSS_PYTHON.exists():
        pytest.skip("no truss venv: tests/test_truss_agreement.py creates it")
    code = _TRUSS_PARAMETERS.replace("NAMES", repr(sorted(PARAMETERS)))
    result = subprocess.run(
        [str(_TRUSS_PYTHON), "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    truss = json.loads(result.stdout)
    for symbol, parameters in PARAMETERS.items():
        runtime_only = RUNTIME_ONLY_PARAMETERS.get(symbol, frozenset())
        assert runtime_only <= set(parameters), symbol
        kept = [name for name in parameters if name not in runtime_only]
        if symbol in KEYWORD_ONLY:
            assert set(kept) == set(truss[symbol]), symbol
        else:  # positional: the order matters too
            assert kept == truss[symbol], symbol
    assert list(OPTION_NAMES) == truss["depends"]


def test_the_import_benchmark_runs_and_reports() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.sdk_import", "--runs", "1"],
        capture_output=True, text=True, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 6
    assert all(re.search(r"median +\d+\.\d ms +fastest +\d+\.\d ms", line) for line in lines)
    assert lines[1].startswith("static tables")


# -- inside the runtime: no reaching into another package's private names -----------------------

RUNTIME = REPO / "runtime" / "chains_runtime"


def _runtime_imports() -> list[tuple[Path, int, str, list[str]]]:
    """(file, line, module, names) of every ``from chains_runtime... import`` in the runtime."""
    found = []
    for path in sorted(RUNTIME.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if module.startswith("chains_runtime"):
                    found.append((path, node.lineno, module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("chains_runtime"):
                        found.append((path, node.lineno, alias.name, []))
    return found


def test_no_runtime_module_imports_another_modules_private_name() -> None:
    wrong = [
        f"{path.relative_to(REPO)}:{line}: {module}.{name}"
        for path, line, module, names in _runtime_imports()
        for name in names
        if name.startswith("_") and not name.startswith("__")
    ]
    assert wrong == []


def test_only_chains_run_imports_the_chains_run_package() -> None:
    run_package = RUNTIME / "run"
    wrong = [
        f"{path.relative_to(REPO)}:{line}: {module}"
        for path, line, module, _ in _runtime_imports()
        if (module == "chains_runtime.run" or module.startswith("chains_runtime.run."))
        and run_package not in path.parents
    ]
    assert wrong == []


def test_the_unknown_gpu_fix_lists_the_one_tables_names() -> None:
    from chains_lint.model.accelerators import PUBLIC_ACCELERATOR_NAMES
    from chains_lint.rules.remote_config.gpu import UnknownGpu

    listed = UnknownGpu.fix.removeprefix("Use one of ").split(", spelt exactly")[0]
    assert tuple(listed.split(", ")) == PUBLIC_ACCELERATOR_NAMES
