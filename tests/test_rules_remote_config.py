"""The RemoteConfig rules (CH701-CH722), linted for real from files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.model.accelerators import ACCELERATORS
from chains_lint.rules.base import Profile
from tests.lint_helpers import lint_text

HEADER = "import truss_chains as chains\n"
RUN_REMOTE = "\n    async def run_remote(self, text: str) -> str:\n        return text\n"


def chain(config: str, *, header: str = HEADER, prelude: str = "", name: str = "Model") -> str:
    """A file with one chainlet whose ``remote_config`` is ``config``."""
    return (
        f"{header}{prelude}\n\n\nclass {name}(chains.ChainletBase):\n"
        f"    remote_config = {config}\n{RUN_REMOTE}"
    )


def compute(arguments: str) -> str:
    return chain(f"chains.RemoteConfig(compute=chains.Compute({arguments}))")


def image(arguments: str) -> str:
    return chain(f"chains.RemoteConfig(docker_image=chains.DockerImage({arguments}))")


def found(
    tmp_path: Path,
    files: str | Mapping[str, str],
    code: str,
    *,
    profile: Profile = "default",
) -> list[Diagnostic]:
    return lint_text(tmp_path, files, profile=profile, select=(code,))


def position_of(source: str, text: str, occurrence: int = 1) -> tuple[int, int]:
    """1-based (line, column) of the n-th ``text`` in ``source`` (as written to disk)."""
    seen = 0
    for number, line in enumerate(source.lstrip("\n").splitlines(), start=1):
        start = 0
        while (index := line.find(text, start)) != -1:
            seen += 1
            if seen == occurrence:
                return number, index + 1
            start = index + 1
    raise AssertionError(f"{text!r} not in source")


def at(diagnostics: list[Diagnostic]) -> list[tuple[int, int]]:
    return [(d.span.line, d.span.column) for d in diagnostics]


def only_message(diagnostics: list[Diagnostic]) -> str:
    assert len(diagnostics) == 1, diagnostics
    return diagnostics[0].message


# ---------------------------------------------------------------------------
# CH701 remote-config-wrong-type
# ---------------------------------------------------------------------------


def test_dict_remote_config_is_reported_at_the_value(tmp_path: Path) -> None:
    source = chain('{"compute": {"gpu": "A10G"}}')
    diagnostics = found(tmp_path, source, "CH701")
    assert at(diagnostics) == [position_of(source, "{")]
    assert "`remote_config` must be `chains.RemoteConfig(...)`" in diagnostics[0].message
    assert diagnostics[0].severity is Severity.ERROR


def test_bare_compute_as_remote_config_suggests_wrapping(tmp_path: Path) -> None:
    message = only_message(found(tmp_path, chain('chains.Compute(gpu="T4")'), "CH701"))
    assert "`remote_config` is a `chains.Compute(...)`" in message
    assert "chains.RemoteConfig(compute=...)" in message


def test_none_remote_config_is_reported(tmp_path: Path) -> None:
    assert len(found(tmp_path, chain("None"), "CH701")) == 1


def test_section_given_the_wrong_class(tmp_path: Path) -> None:
    source = chain("chains.RemoteConfig(compute=chains.DockerImage())")
    diagnostics = found(tmp_path, source, "CH701")
    assert at(diagnostics) == [position_of(source, "chains.DockerImage()")]
    assert "`compute` must be `chains.Compute(...)`, got a `chains.DockerImage(...)`" in (
        diagnostics[0].message
    )


def test_dict_is_wrong_for_compute_but_fine_for_pydantic_sections(tmp_path: Path) -> None:
    source = chain(
        'chains.RemoteConfig(compute={"gpu": "T4"}, docker_image={"pip_requirements": ["x"]}, '
        'options={"enable_debug_logs": True})'
    )
    diagnostics = found(tmp_path, source, "CH701")
    assert at(diagnostics) == [position_of(source, '{"gpu"')]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("chains.BasetenImage.PY312", "`BasetenImage` has no member `PY312`"),
        ("None", "`base_image` must be `chains.BasetenImage.PY311`"),
        ("chains.Compute()", "got a `chains.Compute(...)`"),
    ],
)
def test_bad_base_images(tmp_path: Path, expression: str, expected: str) -> None:
    source = image(f"base_image={expression}")
    assert expected in only_message(found(tmp_path, source, "CH701"))


@pytest.mark.parametrize(
    "expression",
    ["chains.BasetenImage.PY39", 'chains.CustomImage(image="x")', '{"image": "x"}', '"img:1"'],
)
def test_good_base_images_are_not_wrong_type(tmp_path: Path, expression: str) -> None:
    assert found(tmp_path, image(f"base_image={expression}"), "CH701") == []


def test_unreadable_remote_config_is_left_to_ch704(tmp_path: Path) -> None:
    source = chain("make_config()", prelude="\n\ndef make_config(): ...")
    assert found(tmp_path, source, "CH701") == []
    assert len(found(tmp_path, source, "CH704")) == 1


def test_imported_names_under_aliases_are_recognised(tmp_path: Path) -> None:
    source = chain(
        'RC(compute=C(gpu="T4"), docker_image=DI(base_image=BI.PY311))',
        header="import truss_chains as chains\n"
        "from truss_chains import RemoteConfig as RC, Compute as C, DockerImage as DI\n"
        "from truss_chains import BasetenImage as BI\n",
    )
    assert lint_text(tmp_path, source, select=("CH7",)) == []


# ---------------------------------------------------------------------------
# CH702 remote-config-unknown-argument
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            compute('gpu="A10G", gpus=2'),
            "`Compute` has no parameter `gpus`; did you mean `gpu_count`?",
        ),
        (compute('gpus="A10G"'), "did you mean `gpu`?"),
        (compute('memroy="2Gi"'), "did you mean `memory`?"),
        (chain('chains.RemoteConfig(gpu="A10G")'), "it belongs in `chains.Compute(gpu=...)`"),
        (chain("chains.RemoteConfig(secret_keys=['x'])"), "belongs in `chains.Assets(secret_keys"),
        (image('requirements=["x"]'), "did you mean `pip_requirements`?"),
        (
            chain("chains.RemoteConfig(options=chains.ChainletOptions(env_vars={}))"),
            "did you mean `env_variables`?",
        ),
        (image('base_image=chains.CustomImage(img="x")'), "did you mean `image`?"),
        (compute("flavour=1"), "its parameters are cpu_count, memory, gpu, gpu_count"),
    ],
)
def test_unknown_arguments(tmp_path: Path, source: str, expected: str) -> None:
    assert expected in only_message(found(tmp_path, source, "CH702"))


RUN_REMOTE_TIMEOUT = chain(
    "chains.RemoteConfig(options=chains.ChainletOptions(run_remote_timeout_sec=30))"
)


def test_run_remote_timeout_is_known_to_the_default_profile(tmp_path: Path) -> None:
    assert found(tmp_path, RUN_REMOTE_TIMEOUT, "CH702") == []
    misspelt = chain("chains.RemoteConfig(options=chains.ChainletOptions(run_remote_timeout=30))")
    assert "did you mean `run_remote_timeout_sec`?" in only_message(
        found(tmp_path, misspelt, "CH702")
    )


def test_run_remote_timeout_is_not_truss(tmp_path: Path) -> None:
    message = only_message(found(tmp_path, RUN_REMOTE_TIMEOUT, "CH702", profile="truss"))
    assert "truss's `ChainletOptions` has no parameter `run_remote_timeout_sec`" in message


SERVER_LIMITS = chain(
    "chains.RemoteConfig(options=chains.ChainletOptions(max_connections=64, "
    "idle_timeout_sec=5, head_timeout_sec=2.5, body_timeout_sec=30, max_head_bytes=16384))"
)
SERVER_LIMIT_NAMES = (
    "max_connections",
    "idle_timeout_sec",
    "head_timeout_sec",
    "body_timeout_sec",
    "max_head_bytes",
)


def test_server_limits_are_known_to_the_default_profile(tmp_path: Path) -> None:
    assert found(tmp_path, SERVER_LIMITS, "CH702") == []
    assert found(tmp_path, SERVER_LIMITS, "CH722") == []
    misspelt = chain("chains.RemoteConfig(options=chains.ChainletOptions(max_header_bytes=4096))")
    assert "did you mean `max_head_bytes`?" in only_message(found(tmp_path, misspelt, "CH702"))


def test_server_limits_are_not_truss(tmp_path: Path) -> None:
    messages = [d.message for d in found(tmp_path, SERVER_LIMITS, "CH702", profile="truss")]
    assert messages == [
        f"truss's `ChainletOptions` has no parameter `{name}` (only this runtime's has); "
        "remove it to deploy with truss"
        for name in SERVER_LIMIT_NAMES
    ]


def test_unknown_argument_points_at_its_value(tmp_path: Path) -> None:
    source = compute('gpu="A10G", gpus=2')
    assert at(found(tmp_path, source, "CH702")) == [position_of(source, "2))")]


# ---------------------------------------------------------------------------
# CH703 remote-config-positional-argument
# ---------------------------------------------------------------------------


def test_positional_section_suggests_its_keyword(tmp_path: Path) -> None:
    source = chain('chains.RemoteConfig(chains.Compute(gpu="T4"))')
    diagnostics = found(tmp_path, source, "CH703")
    assert at(diagnostics) == [position_of(source, "chains.Compute")]
    assert "`RemoteConfig` takes keyword arguments only; write `compute=" in (
        diagnostics[0].message
    )


def test_positional_docker_image_argument(tmp_path: Path) -> None:
    message = only_message(found(tmp_path, image("chains.BasetenImage.PY311"), "CH703"))
    assert "write `base_image=chains.BasetenImage.PY311`" in message


def test_compute_takes_positional_arguments_up_to_its_parameters(tmp_path: Path) -> None:
    assert found(tmp_path, compute('2, "4Gi", "T4", 1, 1, None'), "CH703") == []
    source = compute('2, "4Gi", "T4", 1, 1, None, 7')
    diagnostics = found(tmp_path, source, "CH703")
    assert at(diagnostics) == [position_of(source, "7")]
    assert "at most 6 positional arguments" in diagnostics[0].message


def test_compute_argument_given_by_position_and_keyword(tmp_path: Path) -> None:
    source = compute('2, "16Gi", memory="3Gi"')
    diagnostics = found(tmp_path, source, "CH703")
    assert at(diagnostics) == [position_of(source, '"3Gi"')]
    assert "`memory` of `Compute` is given both by position and by keyword" in (
        diagnostics[0].message
    )


def test_base_image_given_the_enum_class_is_wrong_not_unreadable(tmp_path: Path) -> None:
    source = image("base_image=chains.BasetenImage")
    assert "`base_image` must be" in only_message(found(tmp_path, source, "CH701"))
    assert found(tmp_path, source, "CH704") == []


# ---------------------------------------------------------------------------
# CH704 remote-config-not-static
# ---------------------------------------------------------------------------


def test_class_body_constants_and_arithmetic_are_read(tmp_path: Path) -> None:
    # A class attribute bound before `remote_config` is in scope there, as in Python.
    source = (
        f"{HEADER}\nCPUS = 2\n\n\nclass Model(chains.ChainletBase):\n"
        "    _cpus = 4\n"
        "    remote_config = chains.RemoteConfig(compute=chains.Compute(\n"
        "        cpu_count=_cpus, predict_concurrency=_cpus * 3 + CPUS - 1, memory=\"1Gi\"))\n"
        f"{RUN_REMOTE}"
    )
    assert found(tmp_path, source, "CH704") == []


@pytest.mark.parametrize(
    ("body", "value"),
    [
        ("    _cpus = 4\n    _cpus = 8\n", "_cpus"),  # bound twice: not a constant
        ("    def _cpus(self) -> int:\n        return 4\n", "_cpus"),
        ("", "_cpus"),  # a later binding is not visible
        ("    _cpus = 4\n", "_cpus / 0"),
    ],
)
def test_class_body_names_that_cannot_be_read(tmp_path: Path, body: str, value: str) -> None:
    source = (
        f"{HEADER}\n\nclass Model(chains.ChainletBase):\n{body}"
        f"    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count={value}))\n"
        "    _cpus = 2\n"
        f"{RUN_REMOTE}"
    )
    assert len(found(tmp_path, source, "CH704")) == 1


def test_each_unread_value_gets_one_warning(tmp_path: Path) -> None:
    source = chain(
        'chains.RemoteConfig(compute=chains.Compute(gpu=os.environ["GPU"], memory=MEM), '
        'docker_image=chains.DockerImage(pip_requirements=["numpy", f"torch=={V}"]))',
        header=HEADER + "import os\n",
        prelude='\nMEM = "4Gi"\nV = os.environ["V"]',
    )
    diagnostics = found(tmp_path, source, "CH704")
    assert at(diagnostics) == [
        position_of(source, 'os.environ["GPU"]'),
        position_of(source, 'f"torch'),
    ]
    assert all(d.severity is Severity.WARNING for d in diagnostics)
    assert "`compute.gpu` in `remote_config` is not a literal" in diagnostics[0].message
    assert "`docker_image.pip_requirements[1]`" in diagnostics[1].message


def test_star_arguments_warning(tmp_path: Path) -> None:
    source = compute("**EXTRA")
    source = source.replace("\n\n\nclass", "\nEXTRA = {}\n\n\nclass")
    assert "`**` arguments of `compute`" in only_message(found(tmp_path, source, "CH704"))


def test_inherited_config_is_reported_once_at_its_definition(tmp_path: Path) -> None:
    source = (
        HEADER
        + "import os\n\n\nclass Base(chains.ChainletBase):\n"
        + '    remote_config = chains.RemoteConfig(name=os.environ["N"])\n'
        + RUN_REMOTE
        + "\n\n@chains.mark_entrypoint\nclass Child(Base):\n    pass\n"
    )
    assert at(found(tmp_path, source, "CH704")) == [position_of(source, 'os.environ["N"]')]


def test_shared_constant_used_twice_is_reported_once(tmp_path: Path) -> None:
    source = (
        HEADER
        + "import os\n\nSHARED = chains.RemoteConfig(compute=chains.Compute(gpu=os.getenv('G')))\n"
        + "\n\nclass First(chains.ChainletBase):\n    remote_config = SHARED\n"
        + RUN_REMOTE
        + "\n\n@chains.mark_entrypoint\nclass Second(chains.ChainletBase):\n"
        + "    remote_config = SHARED\n"
        + RUN_REMOTE
    )
    assert at(found(tmp_path, source, "CH704")) == [position_of(source, "os.getenv")]


# ---------------------------------------------------------------------------
# CH705 unknown-gpu
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gpu", "expected"),
    [
        ('"H100:2"', 'write `gpu="H100", gpu_count=2`'),
        ('"a10g"', 'names are case-sensitive: write `gpu="A10G"`'),
        ('"h100:4"', 'write `gpu="H100", gpu_count=4`'),
        ('"A100-80GB"', "did you mean"),
        ('"RTX4090"', "known GPUs: T4, L4, A10G"),
        ('" "', '`gpu=" "` is blank'),
        ("2", "`gpu` must be a GPU name"),
    ],
)
def test_unknown_gpus(tmp_path: Path, gpu: str, expected: str) -> None:
    for profile in ("default", "truss"):
        diagnostics = found(tmp_path, compute(f"gpu={gpu}"), "CH705", profile=profile)
        assert expected in only_message(diagnostics)


@pytest.mark.parametrize("name", [a.name for a in ACCELERATORS])
def test_every_known_gpu_is_accepted(tmp_path: Path, name: str) -> None:
    assert found(tmp_path, compute(f'gpu="{name}"'), "CH705") == []


def test_gpu_none_empty_and_enum_are_accepted(tmp_path: Path) -> None:
    assert found(tmp_path, compute("gpu=None"), "CH705") == []
    assert found(tmp_path, compute('gpu=""'), "CH705") == []  # truss: no GPU
    source = chain(
        "chains.RemoteConfig(compute=chains.Compute(gpu=truss_config.Accelerator.L4))",
        header=HEADER + "from truss.base import truss_config\n",
    )
    assert lint_text(tmp_path, source, select=("CH7",)) == []


def test_gpu_from_a_constant_is_reported_at_the_use(tmp_path: Path) -> None:
    source = chain("chains.RemoteConfig(compute=chains.Compute(gpu=GPU))", prelude='\nGPU = "A10"')
    diagnostics = found(tmp_path, source, "CH705")
    assert at(diagnostics) == [position_of(source, "GPU))")]


# ---------------------------------------------------------------------------
# CH706 invalid-memory, CH707 memory-too-small
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("memory", "expected"),
    [
        ('"16GB"', 'write `memory="16Gi"`'),
        ('"2 Gi"', 'write `memory="2Gi"`'),
        ('"512mb"', 'write `memory="512Mi"`'),
        ('"lots"', "is not a valid quantity such as"),
        ("16", "`memory` must be a string"),
    ],
)
def test_invalid_memory(tmp_path: Path, memory: str, expected: str) -> None:
    source = compute(f"memory={memory}")
    diagnostics = found(tmp_path, source, "CH706")
    assert expected in only_message(diagnostics)
    assert at(diagnostics) == [position_of(source, memory)]


@pytest.mark.parametrize("memory", ["2Gi", "512Mi", "1G", "1.5Gi", "1000", "1e9", "4Ti"])
def test_valid_memory(tmp_path: Path, memory: str) -> None:
    assert found(tmp_path, compute(f'memory="{memory}"'), "CH706") == []


@pytest.mark.parametrize(
    ("memory", "suggestion"), [("16", '"16Gi"'), ("512", '"512Mi"'), ("100Mi", '"100Gi"')]
)
def test_memory_too_small(tmp_path: Path, memory: str, suggestion: str) -> None:
    diagnostics = found(tmp_path, compute(f'memory="{memory}"'), "CH707")
    assert f"did you mean `{suggestion}`?" in only_message(diagnostics)
    assert diagnostics[0].severity is Severity.WARNING


def test_memory_of_128mi_is_enough(tmp_path: Path) -> None:
    assert found(tmp_path, compute('memory="128Mi"'), "CH707") == []


# ---------------------------------------------------------------------------
# CH708-CH710 counts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.5", "must be a whole number"),
        ("0", "`cpu_count=0` must be at least 1"),
        ("-2", "`cpu_count=-2` must be at least 1"),
        ('"2"', "must be an int, not a string; write `cpu_count=2`"),
        ("True", "must be a positive int"),
    ],
)
def test_invalid_cpu_count(tmp_path: Path, value: str, expected: str) -> None:
    assert expected in only_message(found(tmp_path, compute(f"cpu_count={value}"), "CH708"))


@pytest.mark.parametrize("value", ["1", "16", "2.0"])
def test_valid_cpu_count(tmp_path: Path, value: str) -> None:
    assert found(tmp_path, compute(f"cpu_count={value}"), "CH708") == []


def test_zero_gpu_count_hints_at_cpu_only(tmp_path: Path) -> None:
    message = only_message(found(tmp_path, compute('gpu="T4", gpu_count=0'), "CH709"))
    assert "`gpu_count=0` must be at least 1" in message and "leave out `gpu`" in message
    assert found(tmp_path, compute('gpu="T4", gpu_count=8'), "CH709") == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"cpus"', 'must be an int or exactly "cpu_count"'),
        ("0", "must be at least 1"),
        ("1.5", "must be a whole number"),
    ],
)
def test_invalid_predict_concurrency(tmp_path: Path, value: str, expected: str) -> None:
    source = compute(f"predict_concurrency={value}")
    assert expected in only_message(found(tmp_path, source, "CH710"))


@pytest.mark.parametrize("value", ['"cpu_count"', "32"])
def test_valid_predict_concurrency(tmp_path: Path, value: str) -> None:
    assert found(tmp_path, compute(f"predict_concurrency={value}"), "CH710") == []


# ---------------------------------------------------------------------------
# CH711 gpu-count-without-gpu
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("arguments", ["gpu_count=2", "gpu=None, gpu_count=2", '1, "2Gi", None, 4'])
def test_gpu_count_without_gpu(tmp_path: Path, arguments: str) -> None:
    diagnostics = found(tmp_path, compute(arguments), "CH711")
    assert "has no effect without `gpu`" in only_message(diagnostics)
    assert diagnostics[0].severity is Severity.WARNING


@pytest.mark.parametrize(
    "arguments", ['gpu="T4", gpu_count=2', 'instance_type="4x16", gpu_count=2', "cpu_count=2"]
)
def test_gpu_count_with_gpu_or_instance_type(tmp_path: Path, arguments: str) -> None:
    assert found(tmp_path, compute(arguments), "CH711") == []


# ---------------------------------------------------------------------------
# CH712 invalid-instance-type, CH713 instance-type-overrides-resources
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"H100:8"', 'looks like a GPU count; write `gpu="H100", gpu_count=8`'),
        ('"h100:8x80"', 'case-sensitive: write `"H100:8x80"`'),
        ('"RTX9:4x16"', "names an unknown GPU `RTX9`"),
        ('"large"', "is not an instance type"),
        ("8", "must be a string"),
    ],
)
def test_invalid_instance_types(tmp_path: Path, value: str, expected: str) -> None:
    diagnostics = found(tmp_path, compute(f"instance_type={value}"), "CH712")
    assert expected in only_message(diagnostics)
    assert diagnostics[0].severity is Severity.WARNING


@pytest.mark.parametrize("value", ['"L4:4x16"', '"H100:8x80"', '"1x2"', '"A10G:2x24x96"', "None"])
def test_valid_instance_types(tmp_path: Path, value: str) -> None:
    assert found(tmp_path, compute(f"instance_type={value}"), "CH712") == []


def test_fields_ignored_next_to_instance_type(tmp_path: Path) -> None:
    source = compute('instance_type="L4:4x16", memory="32Gi", gpu="L4"')
    diagnostics = found(tmp_path, source, "CH713")
    assert at(diagnostics) == [position_of(source, '"32Gi"'), position_of(source, '"L4")')]
    assert '`memory` is ignored because `instance_type="L4:4x16"` is set' in (
        diagnostics[0].message
    )
    assert found(tmp_path, compute('instance_type=None, memory="32Gi"'), "CH713") == []


# ---------------------------------------------------------------------------
# CH714 invalid-display-name, CH715 duplicate-display-name
# ---------------------------------------------------------------------------


def test_invalid_display_name_suggests_a_fixed_one(tmp_path: Path) -> None:
    source = chain('chains.RemoteConfig(name="My Model!")')
    diagnostics = found(tmp_path, source, "CH714")
    assert at(diagnostics) == [position_of(source, '"My Model!"')]
    assert 'name="My_Model"' in diagnostics[0].message


def test_non_ascii_class_name_is_an_invalid_display_name(tmp_path: Path) -> None:
    source = chain("chains.RemoteConfig()", name="Größe")
    diagnostics = found(tmp_path, source, "CH714")
    assert at(diagnostics) == [position_of(source, "Größe")]
    assert "class name (its display name) `Größe`" in diagnostics[0].message


def test_display_name_that_is_not_a_string(tmp_path: Path) -> None:
    assert "`name` must be a string" in only_message(
        found(tmp_path, chain("chains.RemoteConfig(name=3)"), "CH714")
    )


@pytest.mark.parametrize("name", ['"my-model_2"', "None"])
def test_valid_display_names(tmp_path: Path, name: str) -> None:
    assert found(tmp_path, chain(f"chains.RemoteConfig(name={name})"), "CH714") == []


def test_duplicate_display_names_across_modules(tmp_path: Path) -> None:
    worker = HEADER + "\n\nclass Worker(chains.ChainletBase):" + RUN_REMOTE
    files = {
        "chain.py": HEADER
        + "from first import Worker as FirstWorker\nfrom second import Worker as SecondWorker\n"
        + "\n\n@chains.mark_entrypoint\nclass Pipeline(chains.ChainletBase):\n"
        + "    def __init__(\n        self,\n"
        + "        a: FirstWorker = chains.depends(FirstWorker),\n"
        + "        b: SecondWorker = chains.depends(SecondWorker),\n    ) -> None:\n"
        + "        self._a = a\n        self._b = b\n"
        + "\n    async def run_remote(self, text: str) -> str:\n"
        + "        return await self._a.run_remote(text) + await self._b.run_remote(text)\n",
        "first.py": worker,
        "second.py": worker,
    }
    diagnostics = found(tmp_path, files, "CH715")
    assert "both have the display name `Worker`" in only_message(diagnostics)
    assert diagnostics[0].span.path.endswith("second.py")
    assert diagnostics[0].related[0].path.endswith("first.py")


def test_same_name_outside_the_chain_is_not_a_duplicate(tmp_path: Path) -> None:
    source = (
        HEADER
        + "\n\nclass Helper(chains.ChainletBase):\n"
        + '    remote_config = chains.RemoteConfig(name="Main")\n'
        + RUN_REMOTE
        + "\n\n@chains.mark_entrypoint\nclass Main(chains.ChainletBase):"
        + RUN_REMOTE
    )
    assert found(tmp_path, source, "CH715") == []


def test_inherited_display_name_duplicates(tmp_path: Path) -> None:
    source = (
        HEADER
        + "\n\nclass Base(chains.ChainletBase):\n"
        + '    remote_config = chains.RemoteConfig(name="Shared")\n'
        + RUN_REMOTE
        + "\n\nclass Child(Base):\n    pass\n"
        + "\n\n@chains.mark_entrypoint\nclass Main(chains.ChainletBase):\n"
        + "    def __init__(\n        self,\n"
        + "        base: Base = chains.depends(Base),\n"
        + "        child: Child = chains.depends(Child),\n    ) -> None:\n"
        + "        self._base = base\n        self._child = child\n"
        + "\n    async def run_remote(self, text: str) -> str:\n"
        + "        return await self._base.run_remote(text) + await self._child.run_remote(text)\n"
    )
    diagnostics = found(tmp_path, source, "CH715")
    assert at(diagnostics) == [position_of(source, "Child", 1)]
    assert "`Base` and `Child` both have the display name `Shared`" in diagnostics[0].message


# ---------------------------------------------------------------------------
# CH716 config-not-a-list, CH717 newline-in-build-entry
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (image('pip_requirements="numpy"'), "write `pip_requirements=['numpy']`"),
        (image('apt_requirements={"git"}'), "`apt_requirements` must be a list, not a set"),
        (chain('chains.RemoteConfig(build_commands="make")'), "`build_commands` must be a list"),
        (
            chain('chains.RemoteConfig(assets=chains.Assets(secret_keys="hf_token"))'),
            "one secret per character",
        ),
        (chain('chains.RemoteConfig(assets=chains.Assets(cached="org/m"))'), "`cached` must be a"),
        (image("pip_requirements=[1]"), "`pip_requirements[0]` must be a string, got `1`"),
        (image("apt_requirements=3"), "`apt_requirements` must be a list, got `3`"),
    ],
)
def test_not_a_list(tmp_path: Path, source: str, expected: str) -> None:
    assert expected in only_message(found(tmp_path, source, "CH716"))


def test_tuples_are_lists_except_for_truss_pydantic_fields(tmp_path: Path) -> None:
    source = chain(
        'chains.RemoteConfig(build_commands=("make",), '
        'assets=chains.Assets(secret_keys=("hf_token",)))'
    )
    assert found(tmp_path, source, "CH716") == []
    diagnostics = found(tmp_path, source, "CH716", profile="truss")
    assert "truss requires a list for `build_commands`" in only_message(diagnostics)


def test_lists_and_none_are_fine(tmp_path: Path) -> None:
    source = image('pip_requirements=["numpy"], apt_requirements=[], external_package_dirs=None')
    assert found(tmp_path, source, "CH716", profile="truss") == []


def test_newlines_in_build_entries(tmp_path: Path) -> None:
    source = chain(
        'chains.RemoteConfig(build_commands=["ok", "a\\nb"], '
        'docker_image=chains.DockerImage(pip_requirements=["x\\r\\n"]))'
    )
    diagnostics = found(tmp_path, source, "CH717")
    assert at(diagnostics) == [position_of(source, '"a\\nb"'), position_of(source, '"x\\r')]
    assert "`build_commands[1]` contains a line break" in diagnostics[0].message


def test_no_newline_no_report(tmp_path: Path) -> None:
    source = chain('chains.RemoteConfig(build_commands=["cd x && make"])')
    assert found(tmp_path, source, "CH717") == []


# ---------------------------------------------------------------------------
# CH718 string-base-image, CH719 plain-string-path (truss profile)
# ---------------------------------------------------------------------------


def test_string_base_image_only_in_truss_profile(tmp_path: Path) -> None:
    source = image('base_image="python:3.11-slim"')
    assert found(tmp_path, source, "CH718") == []
    message = only_message(found(tmp_path, source, "CH718", profile="truss"))
    assert "chains.CustomImage(image='python:3.11-slim')" in message


def test_plain_string_paths_only_in_truss_profile(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "m.py").write_text("")
    source = image('requirements_file="r.txt", external_package_dirs=["lib"]')
    files = {"chain.py": source, "r.txt": "numpy\n"}
    assert found(tmp_path, files, "CH719") == []
    diagnostics = found(tmp_path, files, "CH719", profile="truss")
    assert at(diagnostics) == [position_of(source, '"r.txt"'), position_of(source, '"lib"')]
    assert "write `chains.make_abs_path_here('r.txt')`" in diagnostics[0].message


# ---------------------------------------------------------------------------
# CH720 conflicting-requirements, CH721 config-path-not-found
# ---------------------------------------------------------------------------


def test_both_requirements_files(tmp_path: Path) -> None:
    source = image(
        'pip_requirements_file=chains.make_abs_path_here("a.txt"), '
        'requirements_file=chains.make_abs_path_here("b.txt")'
    )
    files = {"chain.py": source, "a.txt": "x\n", "b.txt": "y\n"}
    diagnostics = found(tmp_path, files, "CH720")
    assert "keep only `requirements_file`" in only_message(diagnostics)


def test_pip_requirements_with_uv_lock(tmp_path: Path) -> None:
    source = image('requirements_file=chains.make_abs_path_here("uv.lock"), pip_requirements=["x"]')
    files = {"chain.py": source, "uv.lock": "version = 1\n"}
    assert "a `uv.lock` `requirements_file`" in only_message(found(tmp_path, files, "CH720"))


def test_pip_requirements_with_requirements_txt_is_fine(tmp_path: Path) -> None:
    source = image('requirements_file=chains.make_abs_path_here("r.txt"), pip_requirements=["x"]')
    assert found(tmp_path, {"chain.py": source, "r.txt": "y\n"}, "CH720") == []


def test_missing_file_and_empty_folder(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    source = image(
        'requirements_file=chains.make_abs_path_here("missing.txt"), '
        'data_dir=chains.make_abs_path_here("data")'
    )
    diagnostics = found(tmp_path, source, "CH721")
    assert at(diagnostics) == [
        position_of(source, "chains.make_abs_path_here"),
        position_of(source, "chains.make_abs_path_here", 2),
    ]
    assert "`requirements_file` 'missing.txt' resolves to" in diagnostics[0].message
    assert "does not exist" in diagnostics[0].message
    assert "is an empty folder" in diagnostics[1].message


def test_paths_in_an_imported_module_resolve_against_its_folder(tmp_path: Path) -> None:
    files = {
        "chain.py": chain(
            "chains.RemoteConfig(docker_image=IMAGE)",
            header=HEADER + "from pkg.conf import IMAGE\n",
        ),
        "pkg/__init__.py": "",
        "pkg/conf.py": HEADER
        + 'IMAGE = chains.DockerImage(requirements_file=chains.make_abs_path_here("r.txt"), '
        + 'external_package_dirs=[chains.make_abs_path_here("lib")])\n',
        "pkg/r.txt": "numpy\n",
        "pkg/lib/util.py": "X = 1\n",
    }
    assert found(tmp_path, files, "CH721") == []
    files["chain.py"] = files["chain.py"]
    del files["pkg/r.txt"]
    (tmp_path / "pkg" / "r.txt").unlink(missing_ok=True)
    diagnostics = found(tmp_path, files, "CH721")
    assert len(diagnostics) == 1 and diagnostics[0].span.path.endswith("conf.py")


def test_unreadable_paths_are_not_checked(tmp_path: Path) -> None:
    source = image("requirements_file=chains.make_abs_path_here(os.environ['R'])").replace(
        HEADER, HEADER + "import os\n", 1
    )
    assert found(tmp_path, source, "CH721") == []


# ---------------------------------------------------------------------------
# CH722 config-value-type
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            chain("chains.RemoteConfig(options=chains.ChainletOptions(enable_debug_logs=1))"),
            "`enable_debug_logs` must be `True` or `False`",
        ),
        (
            chain(
                "chains.RemoteConfig(options=chains.ChainletOptions(streaming_read_timeout=1.5))"
            ),
            "`streaming_read_timeout` must be a positive int",
        ),
        (
            chain("chains.RemoteConfig(options=chains.ChainletOptions(run_remote_timeout_sec=0))"),
            "`run_remote_timeout_sec` must be a positive number of seconds or `None`",
        ),
        (
            chain('chains.RemoteConfig(options=chains.ChainletOptions(env_variables={"N": 1}))'),
            "`env_variables['N']` must be a string, got `1`",
        ),
        (
            chain("chains.RemoteConfig(options=chains.ChainletOptions(max_connections=0))"),
            "`max_connections` must be a whole number >= 1 or `None`, got `0`",
        ),
        (
            chain("chains.RemoteConfig(options=chains.ChainletOptions(max_connections=1.5))"),
            "`max_connections` must be a whole number >= 1 or `None`, got `1.5`",
        ),
        (
            chain('chains.RemoteConfig(options=chains.ChainletOptions(idle_timeout_sec="5"))'),
            "`idle_timeout_sec` must be a number of seconds >= 0.01 or `None`, got `'5'`",
        ),
        (
            chain("chains.RemoteConfig(options=chains.ChainletOptions(head_timeout_sec=0))"),
            "`head_timeout_sec` must be a number of seconds >= 0.01 or `None`, got `0`",
        ),
        (
            chain("chains.RemoteConfig(options=chains.ChainletOptions(body_timeout_sec=True))"),
            "`body_timeout_sec` must be a number of seconds >= 0.01 or `None`, got `True`",
        ),
        (
            chain("chains.RemoteConfig(options=chains.ChainletOptions(max_head_bytes=100))"),
            "`max_head_bytes` must be a whole number >= 256 or `None`, got `100`",
        ),
        (image("base_image=chains.CustomImage()"), "`CustomImage` needs `image`"),
        (image('base_image=chains.CustomImage(image="")'), "`image` is empty"),
        (
            image("truss_server_version_override=1"),
            "`truss_server_version_override` must be a string",
        ),
    ],
)
def test_wrong_value_types(tmp_path: Path, source: str, expected: str) -> None:
    assert expected in only_message(found(tmp_path, source, "CH722"))


def test_right_value_types(tmp_path: Path) -> None:
    source = chain(
        "chains.RemoteConfig(options=chains.ChainletOptions(enable_debug_logs=True, "
        'streaming_read_timeout=30, env_variables={"N": "1"}, run_remote_timeout_sec=2.5, '
        "max_connections=None, idle_timeout_sec=0.5, max_head_bytes=4096.0), "
        'docker_image=chains.DockerImage(base_image=chains.CustomImage(image="x", '
        'python_executable_path=None), truss_server_version_override="0.9.80"))'
    )
    assert found(tmp_path, source, "CH722") == []


# ---------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "config",
    [
        "chains.RemoteConfig(*ARGS)",
        "chains.RemoteConfig(compute=chains.Compute(*ARGS, **KW))",
        "lambda: None",
        "chains.RemoteConfig(compute=ARGS[0])",
        "chains.RemoteConfig(docker_image=chains.DockerImage(base_image=chains.BasetenImage))",
        "chains.RemoteConfig(docker_image=chains.DockerImage(external_package_dirs=[1, None]))",
        "chains.RemoteConfig(assets=chains.Assets(cached=[1, {}, chains.Compute()]))",
        "chains.RemoteConfig(options=chains.ChainletOptions(health_checks=None))",
        "chains.RemoteConfig(docker_image=chains.DockerImage(requirements_file="
        "chains.make_abs_path_here()))",
        "RECURSIVE",
    ],
)
def test_odd_configs_do_not_crash(tmp_path: Path, config: str) -> None:
    prelude = "\nARGS = []\nKW = {}\nRECURSIVE = chains.RemoteConfig(compute=RECURSIVE)"
    for profile in ("default", "truss"):
        lint_text(tmp_path, chain(config, prelude=prelude), profile=profile, select=("CH7",))


def test_annotated_remote_config_is_checked(tmp_path: Path) -> None:
    source = (
        HEADER
        + "\n\nclass Model(chains.ChainletBase):\n"
        + '    remote_config: chains.RemoteConfig = chains.RemoteConfig(name="a b")\n'
        + RUN_REMOTE
    )
    assert len(found(tmp_path, source, "CH714")) == 1
