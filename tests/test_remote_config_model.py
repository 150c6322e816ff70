"""Reading ``remote_config`` into the typed model, from real files (no rules involved)."""

from __future__ import annotations

import os.path
from collections.abc import Mapping
from pathlib import Path

import pytest

from chains_lint.analysis import analyse
from chains_lint.model.accelerators import (
    ACCELERATORS,
    PUBLIC_ACCELERATOR_NAMES,
    accelerator,
    accelerator_ignoring_case,
)
from chains_lint.model.remote_config import (
    DEFAULT_BASE_IMAGE,
    InstanceType,
    parse_instance_type,
    parse_memory,
)
from chains_lint.model.types import Chainlet, ConfigObject, RemoteConfigModel
from tests.lint_helpers import write_files

HEADER = "import truss_chains as chains\n\n"
RUN_REMOTE = "\n    async def run_remote(self, text: str) -> str:\n        return text\n"


def chainlets(tmp_path: Path, files: str | Mapping[str, str]) -> dict[str, Chainlet]:
    """Analyse chain.py (and what it imports); the chainlets by class name."""
    main = write_files(tmp_path, files)
    model = analyse([main]).targets[0].model
    return {c.name: c for c in model.chainlets.values()}


def config_of(
    tmp_path: Path, files: str | Mapping[str, str], name: str = "Model"
) -> RemoteConfigModel:
    return chainlets(tmp_path, files)[name].remote_config


def one_chainlet(config: str, header: str = HEADER, prelude: str = "") -> str:
    """A file with a chainlet ``Model`` whose ``remote_config`` is ``config``."""
    return (
        f"{header}{prelude}\n\nclass Model(chains.ChainletBase):\n"
        f"    remote_config = {config}\n{RUN_REMOTE}"
    )


def position_of(source: str, text: str) -> tuple[int, int]:
    """1-based line and column of the first ``text`` in ``source``."""
    for number, line in enumerate(source.splitlines(), start=1):
        if text in line:
            return number, line.index(text) + 1
    raise AssertionError(f"{text!r} not in source")


def unread_paths(config: RemoteConfigModel) -> list[str]:
    return [path for path, _span in config.unread]


# ---------------------------------------------------------------------------
# Everything at once
# ---------------------------------------------------------------------------

FULL = one_chainlet(
    """chains.RemoteConfig(
        docker_image=chains.DockerImage(
            base_image=chains.BasetenImage.PY310,
            pip_requirements=["torch==2.3.0", "transformers"],
            apt_requirements=["ffmpeg"],
            requirements_file=chains.make_abs_path_here("requirements.txt"),
            data_dir=chains.make_abs_path_here("data"),
            external_package_dirs=[chains.make_abs_path_here("../shared")],
            truss_server_version_override="0.9.80",
        ),
        compute=chains.Compute(
            cpu_count=4, memory="16Gi", gpu="A10G", gpu_count=2, predict_concurrency=8
        ),
        assets=chains.Assets(secret_keys=["hf_access_token", "other"]),
        name="Full-Model",
        options=chains.ChainletOptions(
            enable_debug_logs=True,
            env_variables={"LOG_LEVEL": "debug"},
            streaming_read_timeout=120,
            metadata={"team": "ml"},
        ),
        build_commands=["git clone https://example.com/repo.git", "cd repo && make"],
    )"""
)


def test_full_config_is_read_into_every_field(tmp_path: Path) -> None:
    config = config_of(tmp_path, {"chain.py": FULL})
    folder = str(tmp_path.resolve())
    image = config.docker_image
    assert image.base_image == "baseten:py310"
    assert image.pip_requirements == ["torch==2.3.0", "transformers"]
    assert image.apt_requirements == ["ffmpeg"]
    assert image.requirements_file == os.path.join(folder, "requirements.txt")
    assert image.data_dir == os.path.join(folder, "data")
    assert image.external_package_dirs == [os.path.join(os.path.dirname(folder), "shared")]
    assert image.truss_server_version_override == "0.9.80"
    compute = config.compute
    assert (compute.cpu_count, compute.memory, compute.gpu) == (4, "16Gi", "A10G")
    assert (compute.gpu_count, compute.predict_concurrency, compute.instance_type) == (2, 8, None)
    assert config.assets.secret_keys == ["hf_access_token", "other"]
    assert config.name == "Full-Model"
    assert config.options.enable_debug_logs is True
    assert config.options.enable_b10_tracing is False
    assert config.options.env_variables == {"LOG_LEVEL": "debug"}
    assert config.options.streaming_read_timeout == 120
    assert config.options.metadata == {"team": "ml"}
    assert config.build_commands == ["git clone https://example.com/repo.git", "cd repo && make"]
    assert config.unread == []
    assert config.owner == "chain.Model"


def test_sources_record_where_each_given_field_was_written(tmp_path: Path) -> None:
    config = config_of(tmp_path, {"chain.py": FULL})
    assert {"compute", "compute.gpu", "docker_image.base_image", "name", "build_commands"} <= set(
        config.sources
    )
    assert "compute.instance_type" not in config.sources
    gpu = config.sources["compute.gpu"]
    assert gpu.text == '"A10G"'
    assert (gpu.span.line, gpu.span.column) == position_of(FULL, '"A10G"')


def test_no_remote_config_gives_the_defaults(tmp_path: Path) -> None:
    source = HEADER + "\nclass Model(chains.ChainletBase):\n" + RUN_REMOTE
    config = config_of(tmp_path, source)
    assert config.value is None
    assert config.docker_image.base_image is None
    assert DEFAULT_BASE_IMAGE == "baseten:py311"
    assert (config.compute.cpu_count, config.compute.memory, config.compute.gpu) == (1, "2Gi", None)
    assert config.compute.predict_concurrency == 1
    assert config.name is None and config.build_commands == []


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expression", "expected"),
    [
        (HEADER, "chains.BasetenImage.PY39", "baseten:py39"),
        (
            "from truss_chains import BasetenImage as BI\nimport truss_chains as chains\n",
            "BI.PY311",
            "baseten:py311",
        ),
        (
            "import truss_chains\nimport truss_chains as chains\n",
            "truss_chains.BasetenImage.PY310",
            "baseten:py310",
        ),
        ("import chains_runtime as chains\n", "chains.BasetenImage.PY311", "baseten:py311"),
        (HEADER, 'chains.CustomImage(image="python:3.11-slim")', "python:3.11-slim"),
        (
            HEADER,
            '{"image": "nvcr.io/nvidia/pytorch:24.01-py3"}',
            "nvcr.io/nvidia/pytorch:24.01-py3",
        ),
        (HEADER, '"python:3.11-slim"', "python:3.11-slim"),
        (HEADER, "chains.BasetenImage.PY312", None),
    ],
)
def test_base_image_forms(
    tmp_path: Path, header: str, expression: str, expected: str | None
) -> None:
    source = one_chainlet(
        f"chains.RemoteConfig(docker_image=chains.DockerImage(base_image={expression}))", header
    )
    config = config_of(tmp_path, source)
    assert config.docker_image.base_image == expected
    assert config.unread == []


def test_custom_image_details_and_docker_auth_enum(tmp_path: Path) -> None:
    source = one_chainlet(
        """chains.RemoteConfig(
        docker_image=chains.DockerImage(
            base_image=chains.CustomImage(
                image="gcr.io/org/img:1",
                python_executable_path="/usr/bin/python3",
                docker_auth=truss_config.DockerAuthSettings(
                    auth_method=truss_config.DockerAuthType.GCP_SERVICE_ACCOUNT_JSON,
                    secret_name="gcp-key",
                    registry="gcr.io",
                ),
            ),
        ),
    )""",
        HEADER + "from truss.base import truss_config\n",
    )
    image = config_of(tmp_path, source).docker_image
    assert image.base_image == "gcr.io/org/img:1"
    assert image.python_executable_path == "/usr/bin/python3"
    assert image.docker_auth is not None
    assert image.docker_auth.kind == "DockerAuthSettings"
    assert image.docker_auth.fields == {
        "auth_method": "GCP_SERVICE_ACCOUNT_JSON",
        "secret_name": "gcp-key",
        "registry": "gcr.io",
    }


# ---------------------------------------------------------------------------
# Compute
# ---------------------------------------------------------------------------


def test_predict_concurrency_cpu_count_takes_the_cpu_count(tmp_path: Path) -> None:
    source = one_chainlet(
        'chains.RemoteConfig(compute=chains.Compute(predict_concurrency="cpu_count", cpu_count=6))'
    )
    assert config_of(tmp_path, source).compute.predict_concurrency == 6


def test_compute_positional_arguments_map_to_parameters(tmp_path: Path) -> None:
    source = one_chainlet('chains.RemoteConfig(compute=chains.Compute(4, "8Gi", "T4", 2))')
    compute = config_of(tmp_path, source).compute
    assert (compute.cpu_count, compute.memory, compute.gpu, compute.gpu_count) == (
        4,
        "8Gi",
        "T4",
        2,
    )


def test_compute_integral_float_is_read_as_int_and_invalid_values_keep_defaults(
    tmp_path: Path,
) -> None:
    source = one_chainlet(
        "chains.RemoteConfig("
        'compute=chains.Compute(cpu_count=2.0, memory=16, gpu=3, gpu_count="x"))'
    )
    config = config_of(tmp_path, source)
    compute = config.compute
    assert (compute.cpu_count, compute.memory, compute.gpu, compute.gpu_count) == (
        2,
        "2Gi",
        None,
        1,
    )
    assert config.unread == []  # wrong literals are the rules' business, not unreadable


def test_gpu_given_as_truss_accelerator_enum(tmp_path: Path) -> None:
    source = one_chainlet(
        "chains.RemoteConfig(compute=chains.Compute(gpu=truss_config.Accelerator.H100))",
        HEADER + "from truss.base import truss_config\n",
    )
    config = config_of(tmp_path, source)
    assert config.compute.gpu == "H100"
    assert config.unread == []


def test_empty_gpu_means_no_gpu_as_in_truss(tmp_path: Path) -> None:
    source = one_chainlet('chains.RemoteConfig(compute=chains.Compute(gpu=""))')
    assert config_of(tmp_path, source).compute.gpu is None


def test_instance_type_is_read(tmp_path: Path) -> None:
    source = one_chainlet('chains.RemoteConfig(compute=chains.Compute(instance_type="H100:8x80"))')
    assert config_of(tmp_path, source).compute.instance_type == "H100:8x80"


# ---------------------------------------------------------------------------
# Assets and options
# ---------------------------------------------------------------------------


def test_asset_objects_are_read_with_their_literal_fields(tmp_path: Path) -> None:
    source = one_chainlet(
        """chains.RemoteConfig(
        assets=chains.Assets(
            cached=[truss_config.ModelRepo(
                repo_id="org/model", allow_patterns=["*.json"], use_volume=False,
                kind=truss_config.ModelRepoSourceKind.HF,
            )],
            external_data=[{"url": "https://example.com/x.bin", "local_data_path": "x.bin"}],
            weights=[chains.WeightsSource(source="hf://org/model", mount_location="/app/w")],
        ),
    )""",
        HEADER + "from truss.base import truss_config\n",
    )
    assets = config_of(tmp_path, source).assets
    assert [(o.kind, o.fields) for o in assets.cached] == [
        (
            "ModelRepo",
            {
                "repo_id": "org/model",
                "allow_patterns": ["*.json"],
                "use_volume": False,
                "kind": "hf",
            },
        )
    ]
    assert [(o.kind, o.fields) for o in assets.external_data] == [
        (None, {"url": "https://example.com/x.bin", "local_data_path": "x.bin"})
    ]
    assert [(o.kind, o.fields) for o in assets.weights] == [
        ("WeightsSource", {"source": "hf://org/model", "mount_location": "/app/w"})
    ]


def test_options_given_as_a_dict_and_health_checks_object(tmp_path: Path) -> None:
    source = one_chainlet(
        """chains.RemoteConfig(
        docker_image={"pip_requirements": ["numpy"]},
        options=chains.ChainletOptions(
            health_checks=truss_config.HealthChecks(restart_threshold_seconds=300),
        ),
    )""",
        HEADER + "from truss.base import truss_config\n",
    )
    config = config_of(tmp_path, source)
    assert config.docker_image.pip_requirements == ["numpy"]
    health = config.options.health_checks
    assert isinstance(health, ConfigObject)
    assert (health.kind, health.fields) == ("HealthChecks", {"restart_threshold_seconds": 300})


# ---------------------------------------------------------------------------
# Constants, names and other modules
# ---------------------------------------------------------------------------


def test_shared_config_constant_and_sub_config_constants(tmp_path: Path) -> None:
    source = (
        HEADER
        + 'GPU = "L4"\n'
        + "GPU_COMPUTE = chains.Compute(gpu=GPU, memory='8Gi')\n"
        + "SHARED = chains.RemoteConfig(compute=GPU_COMPUTE, build_commands=COMMANDS)\n"
        + 'COMMANDS = ["echo one"]\n'
        + "\n\nclass First(chains.ChainletBase):\n    remote_config = SHARED\n"
        + RUN_REMOTE
        + "\n\nclass Second(chains.ChainletBase):\n"
        + "    remote_config = chains.RemoteConfig(compute=GPU_COMPUTE)\n"
        + RUN_REMOTE
    )
    found = chainlets(tmp_path, source)
    first = found["First"].remote_config
    assert (first.compute.gpu, first.compute.memory) == ("L4", "8Gi")
    assert first.build_commands == ["echo one"]
    second = found["Second"].remote_config
    assert second.compute.gpu == "L4"
    assert first.unread == [] and second.unread == []


def test_imported_constants_resolve_paths_against_their_own_folder(tmp_path: Path) -> None:
    files = {
        "chain.py": one_chainlet(
            "chains.RemoteConfig(docker_image=IMAGE, compute=settings.COMPUTE)",
            HEADER + "from configs.images import IMAGE\nfrom configs import settings\n",
        ),
        "configs/__init__.py": "",
        "configs/images.py": HEADER + "IMAGE = chains.DockerImage(requirements_file="
        'chains.make_abs_path_here("reqs/base.txt"))\n',
        "configs/settings.py": HEADER + 'COMPUTE = chains.Compute(gpu="T4", cpu_count=3)\n',
    }
    config = config_of(tmp_path, files)
    expected = os.path.join(str(tmp_path.resolve()), "configs", "reqs", "base.txt")
    assert config.docker_image.requirements_file == expected
    assert (config.compute.gpu, config.compute.cpu_count) == ("T4", 3)
    assert config.unread == []


def test_plain_string_paths_are_resolved_against_the_file_folder(tmp_path: Path) -> None:
    source = one_chainlet(
        'chains.RemoteConfig(docker_image=chains.DockerImage(requirements_file="r.txt", '
        'data_dir="/abs/data", external_package_dirs=["lib"]))'
    )
    image = config_of(tmp_path, source).docker_image
    folder = str(tmp_path.resolve())
    assert image.requirements_file == os.path.join(folder, "r.txt")
    assert image.data_dir == "/abs/data"
    assert image.external_package_dirs == [os.path.join(folder, "lib")]


def test_inherited_remote_config_names_the_defining_class(tmp_path: Path) -> None:
    source = (
        HEADER
        + "\nclass Base(chains.ChainletBase):\n"
        + '    remote_config = chains.RemoteConfig(compute=chains.Compute(gpu="T4"))\n'
        + RUN_REMOTE
        + "\n\nclass Child(Base):\n    pass\n"
    )
    found = chainlets(tmp_path, source)
    child = found["Child"].remote_config
    assert child.compute.gpu == "T4"
    assert child.owner == "chain.Base"


# ---------------------------------------------------------------------------
# What cannot be read
# ---------------------------------------------------------------------------


def test_non_literal_values_are_listed_as_unread_and_keep_defaults(tmp_path: Path) -> None:
    source = one_chainlet(
        """chains.RemoteConfig(
        docker_image=chains.DockerImage(
            pip_requirements=["numpy", os.environ["EXTRA"]],
            requirements_file=chains.make_abs_path_here(REQS),
        ),
        compute=chains.Compute(gpu=os.environ["GPU"], memory=f"{GB}Gi", cpu_count=4),
        name=make_name(),
    )""",
        HEADER + "import os\n",
        prelude="GB = 4\nREQS = os.environ['REQS']",
    )
    config = config_of(tmp_path, source)
    assert unread_paths(config) == [
        "docker_image.pip_requirements[1]",
        "docker_image.requirements_file",
        "compute.gpu",
        "compute.memory",
        "name",
    ]
    assert config.docker_image.pip_requirements == ["numpy"]
    assert config.docker_image.requirements_file is None
    assert (config.compute.gpu, config.compute.memory, config.compute.cpu_count) == (None, "2Gi", 4)
    assert config.name is None
    gpu_span = config.unread[2][1]
    assert (gpu_span.line, gpu_span.column) == position_of(source, 'os.environ["GPU"]')


def test_remote_config_built_by_a_function_is_unread(tmp_path: Path) -> None:
    source = one_chainlet("make_config()", prelude="def make_config(): ...")
    config = config_of(tmp_path, source)
    assert unread_paths(config) == ["remote_config"]


def test_star_arguments_are_unread(tmp_path: Path) -> None:
    source = one_chainlet(
        'chains.RemoteConfig(compute=chains.Compute(gpu="T4", **EXTRA))', prelude="EXTRA = {}"
    )
    config = config_of(tmp_path, source)
    assert unread_paths(config) == ["compute.**"]
    assert config.compute.gpu == "T4"


def test_wrong_kinds_are_not_unread(tmp_path: Path) -> None:
    source = one_chainlet('{"compute": {"gpu": "A10G"}}')
    config = config_of(tmp_path, source)
    assert config.unread == [] and config.compute.gpu is None


def test_unknown_keywords_are_ignored_by_the_model(tmp_path: Path) -> None:
    source = one_chainlet('chains.RemoteConfig(compute=chains.Compute(gpus=2, gpu="T4"), gpu="x")')
    config = config_of(tmp_path, source)
    assert config.compute.gpu == "T4" and config.compute.gpu_count == 1


def test_circular_imported_constants_do_not_hang(tmp_path: Path) -> None:
    files = {
        "chain.py": one_chainlet("chains.RemoteConfig(compute=a.LOOP)", HEADER + "import a\n"),
        "a.py": "from b import OTHER\nLOOP = OTHER\n",
        "b.py": "from a import LOOP\nOTHER = LOOP\n",
    }
    config = config_of(tmp_path, files)
    assert config.compute.gpu is None
    assert unread_paths(config) == ["compute"]


# ---------------------------------------------------------------------------
# Tables and parsers
# ---------------------------------------------------------------------------


def test_accelerator_table_matches_truss() -> None:
    truss_names = {
        "T4",
        "L4",
        "A10G",
        "V100",
        "A100",
        "A100_40GB",
        "H100",
        "H200",
        "H100_40GB",
        "B200",
        "L40S",
        "RTX_PRO_6000",
        "B300",
        "GB300",
    }
    assert set(PUBLIC_ACCELERATOR_NAMES) == truss_names
    assert {a.name for a in ACCELERATORS} == truss_names | {"B10"}
    a10g = accelerator("A10G")
    assert a10g is not None and (a10g.memory_gb, a10g.compute_capability) == (24, "8.6")
    assert accelerator("a10g") is None
    found = accelerator_ignoring_case("a10g")
    assert found is not None and found.name == "A10G"
    found = accelerator_ignoring_case("rtx-pro-6000")
    assert found is not None and found.name == "RTX_PRO_6000"


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ("2Gi", 2 * 2**30),
        ("512Mi", 512 * 2**20),
        ("1G", 10**9),
        ("1.5Gi", int(1.5 * 2**30)),
        ("1000", 1000),
        ("1e9", 10**9),
        (".5Ki", 512),
        ("16GB", None),
        ("2gi", None),
        ("2 Gi", None),
        ("Gi", None),
        ("", None),
        ("-1Gi", None),
    ],
)
def test_parse_memory(quantity: str, expected: int | None) -> None:
    assert parse_memory(quantity) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("L4:4x16", InstanceType("L4", 1, 4, 16)),
        ("H100:8x80", InstanceType("H100", 1, 8, 80)),
        ("A10G:2x24x96", InstanceType("A10G", 2, 24, 96)),
        ("4x16", InstanceType(None, 0, 4, 16)),
        ("H100:8", None),
        ("h100:8x80", None),
        ("4x16x2", None),
        ("L4:0x16", None),
        ("", None),
    ],
)
def test_parse_instance_type(text: str, expected: InstanceType | None) -> None:
    assert parse_instance_type(text) == expected


# ---------------------------------------------------------------------------
# Assets.secret_keys: what the secrets rules read
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argument", "keys", "unread"),
    [
        ('["a", "b"]', ["a", "b"], []),
        ('("a", "b")', ["a", "b"], []),
        ("KEYS", ["a", "b"], []),  # a module-level constant
        # A bare string is not split and not unread: CH716 reports it.
        ('"hf_access_token"', [], []),
        ("None", [], []),
        # Not a literal: unread, and the keys keep their default (none).
        ('os.environ["KEYS"].split()', [], ["assets.secret_keys"]),
        ('["a"] + EXTRA', [], ["assets.secret_keys"]),
        # A list display keeps its literal items; the others are unread by index.
        ('[os.environ["K"], "b"]', ["b"], ["assets.secret_keys[0]"]),
        ('["a", 1]', ["a"], []),
        # A starred part cannot be read: the literal items are kept, the rest is unread.
        ('["a", *EXTRA]', ["a"], ["assets.secret_keys[*]"]),
    ],
)
def test_secret_keys(tmp_path: Path, argument: str, keys: list[str], unread: list[str]) -> None:
    source = one_chainlet(
        f"chains.RemoteConfig(assets=chains.Assets(secret_keys={argument}))",
        header="import os\n\n" + HEADER,
        prelude='KEYS = ["a", "b"]\nEXTRA = ["b"]\n',
    )
    config = config_of(tmp_path, source)
    assert config.assets.secret_keys == keys
    assert unread_paths(config) == unread
    assert "assets.secret_keys" in config.sources


def test_server_limits_are_read_from_chainlet_options(tmp_path: Path) -> None:
    source = one_chainlet(
        "chains.RemoteConfig(options=chains.ChainletOptions(max_connections=64, "
        "idle_timeout_sec=5, head_timeout_sec=None, body_timeout_sec=0, max_head_bytes=4096.0))"
    )
    options = config_of(tmp_path, source).options
    assert (options.max_connections, options.idle_timeout_sec, options.max_head_bytes) == (
        64,
        5.0,
        4096,
    )
    # None is the default; an out-of-range value (reported by CH722) keeps it too.
    assert (options.head_timeout_sec, options.body_timeout_sec) == (None, None)


def test_every_value_field_has_a_reader() -> None:
    from chains_lint.model.remote_config.constructors import (
        BASE_IMAGE_PATH,
        CUSTOM_IMAGE,
        PARAMETERS,
        SECTIONS,
    )
    from chains_lint.model.remote_config.fields import FIELDS
    from chains_lint.model.sdk import REMOTE_CONFIG

    prefixes = {REMOTE_CONFIG: "", CUSTOM_IMAGE: BASE_IMAGE_PATH + "."}
    prefixes.update({symbol: f"{field}." for field, symbol in SECTIONS.items()})
    nested = {*SECTIONS, BASE_IMAGE_PATH}
    paths = {
        prefixes[symbol] + name
        for symbol, names in PARAMETERS.items()
        for name in names
        if prefixes[symbol] + name not in nested
    }
    assert set(FIELDS) == paths
