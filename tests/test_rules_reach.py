"""The linter's reach (issue 12.3), linted for real from files: ``is_healthy`` (CH116,
CH117), transport against the endpoint (CH724), ``Assets(cached=...)`` (CH725, CH726),
undefined names truss's import trips on (CH003, CH260), nested chainlets (CH307), the
truss-profile errors of imported local modules, an entrypoint named by configuration
(CH305) and CH707's hint. Every verdict here was checked against truss 0.18.36 (the corpus
files under tests/corpus/truss carry the same cases through test_truss_agreement.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from chains_lint.config import Config, ConfigError, load_config
from chains_lint.linter import lint_files
from chains_lint.profiles import PROFILES, Profile
from tests.lint_helpers import lint_text, write_files

HEAD = "import truss_chains as chains\nfrom truss.base import truss_config\n\n\n"
RUN_REMOTE = "    async def run_remote(self, prompt: str) -> str:\n        return prompt\n"


def _found(
    tmp_path: Path, text: str, profile: Profile
) -> list[tuple[str, tuple[int, int, int, int]]]:
    diagnostics = lint_text(tmp_path, text, profile=profile)
    return [(d.code, (d.span.line, d.span.column, d.span.end_line, d.span.end_column))
            for d in diagnostics]


def _chainlet(members: str, config: str = "") -> str:
    body = f"    remote_config = {config}\n\n" if config else ""
    return f"{HEAD}class Model(chains.ChainletBase):\n{body}{members}\n{RUN_REMOTE}"


# -- is_healthy -----------------------------------------------------------------------------

HEALTH_LINE = 6  # the line of `is_healthy` in _chainlet(...) without a config


@pytest.mark.parametrize(
    ("members", "default", "truss"),
    [
        # (code, (line, column, end line, end column)) under each profile
        ("    @staticmethod\n    def is_healthy() -> bool:\n        return True\n",
         [("CH116", (6, 5, 6, 18))], [("CH116", (6, 5, 6, 18))]),
        ("    @classmethod\n    def is_healthy(cls) -> bool:\n        return True\n",
         [("CH116", (6, 5, 6, 17))], [("CH116", (6, 5, 6, 17))]),
        ("    @property\n    def is_healthy(self) -> bool:\n        return True\n",
         [("CH116", (6, 5, 6, 14))], [("CH116", (6, 5, 6, 14))]),
        ("    is_healthy = True\n", [("CH116", (6, 18, 6, 22))], [("CH116", (6, 18, 6, 22))]),
        ("    def is_healthy(this) -> bool:\n        return True\n",
         [("CH116", (6, 20, 6, 24))], [("CH116", (6, 20, 6, 24))]),
        ("    def is_healthy(self, deep: bool) -> bool:\n        return deep\n",
         [("CH116", (6, 26, 6, 30))], [("CH116", (6, 26, 6, 30))]),
        # Only truss rejects these: the server calls is_healthy(instance) and uses bool(result).
        ("    def is_healthy(self, *, deep: bool = False) -> bool:\n        return deep\n",
         [], [("CH117", (6, 29, 6, 33))]),
        ("    async def is_healthy(self):\n        return True\n", [], [("CH117", (6, 15, 6, 25))]),
        ("    def is_healthy(self) -> int:\n        return 1\n", [], [("CH117", (6, 29, 6, 32))]),
        ("    is_healthy = lambda self: True\n", [], [("CH117", (6, 18, 6, 35))]),
        # chains_runtime's server takes `None` as no health check; truss wants a method.
        ("    is_healthy = None\n", [], [("CH117", (6, 18, 6, 22))]),
        # Accepted by truss.
        ("    def is_healthy(self) -> bool:\n        return True\n", [], []),
        ("    async def is_healthy(self) -> bool:\n        return True\n", [], []),
    ],
)
def test_is_healthy(
    tmp_path: Path,
    members: str,
    default: list[tuple[str, tuple[int, int, int, int]]],
    truss: list[tuple[str, tuple[int, int, int, int]]],
) -> None:
    text = _chainlet(members)
    assert _found(tmp_path, text, "default") == default
    assert _found(tmp_path, text, "truss") == truss


def test_is_healthy_annotated_with_builtins_bool_is_accepted(tmp_path: Path) -> None:
    text = "import builtins\n" + _chainlet(
        "    def is_healthy(self) -> builtins.bool:\n        return True\n"
    )
    assert _found(tmp_path, text, "truss") == []


def test_is_healthy_inherited_from_a_mixin_is_reported_at_the_chainlet(tmp_path: Path) -> None:
    text = (
        f"{HEAD}class Probe:\n    def is_healthy(self, deep: bool) -> bool:\n"
        "        return deep\n\n\n"
        f"class Model(Probe, chains.ChainletBase):\n{RUN_REMOTE}"
    )
    diagnostics = lint_text(tmp_path, text, profile="truss")
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [("CH116", 10, 7)]
    assert "`Probe.is_healthy` (inherited by chainlet `Model`) takes `deep`" in (
        diagnostics[0].message
    )


# -- transport ----------------------------------------------------------------------------

WEBSOCKET_RUN_REMOTE = (
    "    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:\n"
    "        await websocket.send_text(await websocket.receive_text())\n"
)


def _with_transport(transport: str, *, websocket: bool) -> str:
    endpoint = WEBSOCKET_RUN_REMOTE if websocket else RUN_REMOTE
    return (
        f"{HEAD}class Model(chains.ChainletBase):\n"
        "    remote_config = chains.RemoteConfig("
        f"options=chains.ChainletOptions(transport={transport}))\n"
        f"\n{endpoint}"
    )


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize(
    ("transport", "websocket", "message"),
    [
        ("truss_config.HTTPOptions()", True, "must be `WebsocketOptions`, not `HTTPOptions`"),
        ('{"kind": "grpc"}', True, "not `GRPCOptions`"),
        ("truss_config.WebsocketOptions()", False, "only for a websocket endpoint"),
        ('{"kind": "websocket", "ping_timeout_seconds": 5}', False, "only for a websocket"),
    ],
)
def test_transport_that_does_not_match_the_endpoint(
    tmp_path: Path, profile: Profile, transport: str, websocket: bool, message: str
) -> None:
    text = _with_transport(transport, websocket=websocket)
    diagnostics = lint_text(tmp_path, text, profile=profile)
    assert [d.code for d in diagnostics] == ["CH724"]
    start = len("    remote_config = chains.RemoteConfig(options=chains.ChainletOptions(transport=")
    span = diagnostics[0].span
    assert (span.line, span.column, span.end_column) == (6, start + 1, start + 1 + len(transport))
    assert message in diagnostics[0].message


@pytest.mark.parametrize(
    ("transport", "websocket"),
    [
        ("truss_config.WebsocketOptions(ping_interval_seconds=5)", True),
        ('{"kind": "websocket"}', True),
        ("truss_config.HTTPOptions()", False),
        ("truss_config.GRPCOptions()", False),  # truss accepts gRPC options on an HTTP endpoint
    ],
)
def test_transport_that_matches_the_endpoint(
    tmp_path: Path, transport: str, websocket: bool
) -> None:
    text = _with_transport(transport, websocket=websocket)
    assert _found(tmp_path, text, "truss") == []


# -- Assets(cached=...) -------------------------------------------------------------------


def _cached(entries: str) -> str:
    return _chainlet("", f"chains.RemoteConfig(assets=chains.Assets(cached=[{entries}]))")


CACHED_AT = len("    remote_config = chains.RemoteConfig(assets=chains.Assets(cached=[") + 1


@pytest.mark.parametrize(
    ("entry", "default", "truss", "word"),
    [
        ('"org/name"', ["CH725"], ["CH725"], "not the str"),
        ('truss_config.WeightsSource(source="hf://a/b", mount_location="/m")', ["CH725"],
         ["CH725"], "not a `WeightsSource`"),
        ("truss_config.ModelRepo(use_volume=False)", ["CH725"], ["CH725"], "no `repo_id`"),
        ('truss_config.ModelRepo(repo_id="", use_volume=False)', ["CH725"], ["CH725"], "empty"),
        ('truss_config.ModelRepo(repo_id="a/b", use_volume=False, kind="ftp")', ["CH725"],
         ["CH725"], "not a model source"),
        ('truss_config.ModelRepo(repo_id="a/b", revision="main", use_volume=True)', ["CH725"],
         ["CH725"], "needs a `volume_folder`"),
        ('truss_config.ModelRepo(repo_id="a/b", use_volume=False, allow_patterns="*.json")',
         ["CH725"], ["CH725"], "must be a list"),
        ('truss_config.ModelRepo(repo_id="a/b")', [], ["CH726"], "requires `use_volume`"),
        ('{"repo_id": "a/b"}', [], ["CH726"], "requires `use_volume`"),
        ('truss_config.ModelRepo(repo_id="a/b", revision="x", use_volume=False)', [], ["CH726"],
         "at least 2 characters"),
        ('truss_config.ModelRepo(repo_id="a/b", use_volume=True, volume_folder="b")', [],
         ["CH726"], "requires a `revision`"),
    ],
)
def test_cached_entries_truss_rejects(
    tmp_path: Path, entry: str, default: list[str], truss: list[str], word: str
) -> None:
    text = _cached(entry)
    expectations: tuple[tuple[Profile, list[str]], ...] = (("default", default), ("truss", truss))
    for profile, expected in expectations:
        diagnostics = lint_text(tmp_path, text, profile=profile)
        assert [d.code for d in diagnostics] == expected, (profile, diagnostics)
        for diagnostic in diagnostics:
            assert word in diagnostic.message
            assert diagnostic.span.line == 6
            assert CACHED_AT <= diagnostic.span.column < CACHED_AT + len(entry)


@pytest.mark.parametrize(
    "entry",
    [
        'truss_config.ModelRepo(repo_id="a/b", use_volume=False)',
        '{"repo_id": "a/b", "use_volume": False}',
        'truss_config.ModelRepo(repo_id="a/b", revision="main", use_volume=True, '
        'volume_folder="b")',
        # truss's revision check on volumes is for Hugging Face repos only.
        'truss_config.ModelRepo(repo_id="s3://b/x", use_volume=True, volume_folder="x", kind="s3")',
        'truss_config.ModelRepo(repo_id="a/b", use_volume=True, volume_folder="b", '
        "revision=REVISION)",  # not a literal: not reported (CH704 says it cannot be read)
    ],
)
def test_cached_entries_truss_accepts(tmp_path: Path, entry: str) -> None:
    found = [code for code, _ in _found(tmp_path, _cached(entry), "truss")]
    assert found in ([], ["CH704"])


def test_cached_entry_bound_to_a_module_constant_is_reported_where_it_is_written(
    tmp_path: Path,
) -> None:
    text = HEAD.replace(
        "\n\n\n", '\nREPO = truss_config.ModelRepo(repo_id="a/b", use_volume=True)\n\n\n'
    ) + _cached("REPO").removeprefix(HEAD)
    assert _found(tmp_path, text, "default") == [("CH725", (3, 57, 3, 61))]  # use_volume=True


# -- undefined names (truss profile) --------------------------------------------------------


@pytest.mark.parametrize(
    ("signature", "span"),
    [
        ("self, prompt: ...", (6, 40, 6, 43)),
        ("self, prompt: str) -> (...", (6, 48, 6, 51)),
        ("self, prompt: list[Request]", (6, 45, 6, 52)),
        ("self, prompt: Request", (6, 40, 6, 47)),
    ],
)
def test_undefined_run_remote_annotation_is_an_error_in_the_truss_profile(
    tmp_path: Path, signature: str, span: tuple[int, int, int, int]
) -> None:
    returns = "" if ") -> (" in signature else ") -> str"
    text = (
        f"{HEAD}class Model(chains.ChainletBase):\n"
        f"    async def run_remote({signature}{returns}:\n        return 'x'\n"
    ).replace(") -> (...:", ") -> ...:")
    assert _found(tmp_path, text, "truss") == [("CH260", span)]
    assert _found(tmp_path, text, "default") == [("CH202", span)]  # a warning there


@pytest.mark.parametrize(
    "prelude",
    [
        "Request, Other = str, int\n",  # bound by unpacking
        "for Request in (str,):\n    pass\n",
        "try:\n    from somewhere import Request\nexcept ImportError:\n    Request = str\n",
        "from somewhere import *\n",  # any name may be bound
    ],
)
def test_names_bound_at_module_level_are_not_undefined(tmp_path: Path, prelude: str) -> None:
    text = (
        f"{HEAD}{prelude}\n\nclass Model(chains.ChainletBase):\n"
        "    async def run_remote(self, prompt: Request) -> str:\n        return 'x'\n"
    )
    assert "CH260" not in [code for code, _ in _found(tmp_path, text, "truss")]


def test_names_of_the_class_body_and_string_annotations_are_not_undefined(
    tmp_path: Path,
) -> None:
    text = (
        f"{HEAD}class Model(chains.ChainletBase):\n"
        "    Alias = str\n\n"
        "    async def run_remote(self, prompt: Alias, other: 'Later') -> str:\n"
        "        return 'x'\n"
    )
    assert "CH260" not in [code for code, _ in _found(tmp_path, text, "truss")]


def test_base_class_never_imported(tmp_path: Path) -> None:
    text = (
        f"{HEAD}class Model(Mixin, chains.ChainletBase):\n{RUN_REMOTE}\n\n"
        "class Other(helpers.Base):\n    pass\n"
    )
    assert _found(tmp_path, text, "truss") == [
        ("CH003", (5, 13, 5, 18)),
        ("CH003", (10, 13, 10, 25)),
    ]
    assert _found(tmp_path, text, "default") == []


def test_base_class_imported_defined_or_builtin_is_fine(tmp_path: Path) -> None:
    text = (
        f"import helpers\n{HEAD}class Local:\n    pass\n\n\n"
        "class Model(Local, helpers.Mixin, Exception, chains.ChainletBase):\n"
        f"{RUN_REMOTE}"
    )
    assert _found(tmp_path, text, "truss") == []


# -- nested chainlets -----------------------------------------------------------------------

NESTED_IN_CLASS = (
    f"{HEAD}class Holder:\n    class Inner(chains.ChainletBase):\n"
    "        async def run_remote(self, text: str) -> str:\n            return text\n\n\n"
    f"@chains.mark_entrypoint\nclass Entry(chains.ChainletBase):\n{RUN_REMOTE}"
)


@pytest.mark.parametrize("profile", PROFILES)
def test_chainlet_nested_in_a_class(tmp_path: Path, profile: Profile) -> None:
    diagnostics = lint_text(tmp_path, NESTED_IN_CLASS, profile=profile)
    assert [(d.code, d.span.line, d.span.column) for d in diagnostics] == [("CH307", 6, 11)]
    assert "inside `Holder`" in diagnostics[0].message


def test_test_files_may_define_chainlets_in_test_functions(tmp_path: Path) -> None:
    text = (
        f"{HEAD}def test_run_local() -> None:\n    class Fake(chains.ChainletBase):\n"
        "        async def run_remote(self, text: str) -> str:\n            return text\n\n"
        "    with chains.run_local():\n        Fake()\n"
    )
    path = write_files(tmp_path, {"test_chain.py": text})
    result = lint_files([path.parent / "test_chain.py"], Config())
    assert [d.code for d in result.diagnostics] == []


# -- a chain judged as a whole: imported modules' truss-profile errors ----------------------

HELPER = (
    "from typing import Optional\n\nimport truss_chains as chains\n\n\n"
    "class Helper(chains.ChainletBase):\n"
    "    async def run_remote(self, text: Optional[str]) -> str:\n        return text or ''\n"
)
ENTRY = (
    "import truss_chains as chains\nfrom helper import Helper\n\n\n@chains.mark_entrypoint\n"
    "class Entry(chains.ChainletBase):\n"
    "    def __init__(self, helper: Helper = chains.depends(Helper)) -> None:\n"
    "        self._helper = helper\n\n"
    "    async def run_remote(self, text: str) -> str:\n"
    "        return await self._helper.run_remote(text)\n"
)


def test_linting_the_entry_file_reports_the_errors_of_the_modules_it_imports(
    tmp_path: Path,
) -> None:
    files = {"chain.py": ENTRY, "helper.py": HELPER}
    truss = lint_text(tmp_path, files, profile="truss")
    assert [(d.code, Path(d.span.path).name, d.span.line, d.span.column) for d in truss] == [
        ("CH251", "helper.py", 7, 38)
    ]
    assert lint_text(tmp_path, files, profile="default") == []


def test_imported_modules_errors_respect_noqa_and_leave_out_warnings(tmp_path: Path) -> None:
    helper = HELPER.replace("-> str:", "-> str:  # noqa: CH251").replace(
        "class Helper", "import somepkg\n\n\nclass Other(chains.ChainletBase):\n"
        "    async def run_remote(self, x: somepkg.Thing) -> str:\n        return ''\n\n\n"
        "class Helper",
    )
    diagnostics = lint_text(tmp_path, {"chain.py": ENTRY, "helper.py": helper}, profile="truss")
    assert diagnostics == []  # CH251 suppressed; CH202 on `somepkg.Thing` is only a warning


def test_imported_module_linted_too_is_reported_once(tmp_path: Path) -> None:
    main = write_files(tmp_path, {"chain.py": ENTRY, "helper.py": HELPER})
    result = lint_files([main, tmp_path / "helper.py"], Config(profile="truss"))
    assert [d.code for d in result.diagnostics] == ["CH251"]


def test_imported_module_that_does_not_parse(tmp_path: Path) -> None:
    broken = "import truss_chains as chains\n\n\nclass Helper(chains.ChainletBase)\n    pass\n"
    diagnostics = lint_text(tmp_path, {"chain.py": ENTRY, "helper.py": broken}, profile="truss")
    assert ("CH001", "helper.py", 4) in [
        (d.code, Path(d.span.path).name, d.span.line) for d in diagnostics
    ]


def test_imported_modules_errors_through_the_cache(tmp_path: Path) -> None:
    write_files(tmp_path, {"chain.py": ENTRY, "helper.py": HELPER})
    args = ("--no-config", "--profile", "truss", "--cache-dir", str(tmp_path / "cache"))
    cold = _cli(*args, "chain.py", cwd=tmp_path, cache=True)
    warm = _cli(*args, "chain.py", cwd=tmp_path, cache=True)
    assert cold.returncode == warm.returncode == 1
    assert "helper.py:7:38: CH251" in cold.stdout
    assert warm.stdout.splitlines()[0] == cold.stdout.splitlines()[0]
    # Fixing the imported module (not the linted file) clears the error.
    (tmp_path / "helper.py").write_text(HELPER.replace("Optional[str]", "str"), "utf-8")
    fixed = _cli(*args, "chain.py", cwd=tmp_path, cache=True)
    assert fixed.returncode == 0, fixed.stdout


# -- the entrypoint a push names --------------------------------------------------------------

TWO_CHAINLETS = (
    f"{HEAD}class First(chains.ChainletBase):\n{RUN_REMOTE}\n\n"
    f"class Second(chains.ChainletBase):\n{RUN_REMOTE}"
)


def _cli(*args: str, cwd: Path, cache: bool = False) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "chains_lint", *(() if cache else ("--no-cache",)), *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_entrypoint_named_on_the_command_line_or_in_the_config(tmp_path: Path) -> None:
    write_files(tmp_path, TWO_CHAINLETS)
    without = _cli("--no-config", "chain.py", cwd=tmp_path)
    assert without.returncode == 1 and "CH305" in without.stdout
    named = _cli("--no-config", "--entrypoint", "Second", "chain.py", cwd=tmp_path)
    assert named.returncode == 0, named.stdout + named.stderr
    # A name the file does not define: the file still needs a mark.
    other = _cli("--no-config", "--entrypoint", "Third", "chain.py", cwd=tmp_path)
    assert other.returncode == 1 and "CH305" in other.stdout
    (tmp_path / "pyproject.toml").write_text(
        '[tool.chains-lint]\nentrypoint = "First"\n', encoding="utf-8"
    )
    configured = _cli("chain.py", cwd=tmp_path)
    assert configured.returncode == 0, configured.stdout + configured.stderr


def test_named_entrypoint_needs_no_mark_next_to_chainlets_imported_by_name(
    tmp_path: Path,
) -> None:
    # truss 0.18.36 accepts `import_target(FILE, "Shout")` for this file; without the name
    # it cannot choose between Shout and the imported Upper (CH306).
    files = {
        "chain.py": (
            "import truss_chains as chains\nfrom shared import Upper\n\n\n"
            "class Shout(chains.ChainletBase):\n"
            "    def __init__(self, upper: Upper = chains.depends(Upper)) -> None:\n"
            "        self._upper = upper\n\n"
            "    async def run_remote(self, text: str) -> str:\n"
            "        return await self._upper.run_remote(text)\n"
        ),
        "shared.py": (
            "import truss_chains as chains\n\n\nclass Upper(chains.ChainletBase):\n"
            "    async def run_remote(self, text: str) -> str:\n        return text.upper()\n"
        ),
    }
    main = write_files(tmp_path, files)
    unnamed = lint_files([main], Config(profile="truss")).diagnostics
    assert [d.code for d in unnamed] == ["CH306"]
    named = lint_files([main], Config(profile="truss", entrypoint="Shout")).diagnostics
    assert named == []


@pytest.mark.parametrize("value", ['"not a name"', "3"])
def test_entrypoint_in_the_config_must_be_a_class_name(tmp_path: Path, value: str) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(f"[tool.chains-lint]\nentrypoint = {value}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="entrypoint must be a class name"):
        load_config(pyproject)
    write_files(tmp_path, TWO_CHAINLETS)
    run = _cli("chain.py", cwd=tmp_path)
    assert run.returncode == 2 and "entrypoint must be a class name" in run.stderr
    assert "Traceback" not in run.stderr


# -- CH707's hint ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("memory", "hint"),
    [
        ("16", 'did you mean `"16Gi"`?'),
        ("1000", 'did you mean `"1000Mi"`?'),
        ("64Mi", 'did you mean `"64Gi"`?'),
        ("100M", 'did you mean `"100G"`?'),
        ("16k", 'give at least `"128Mi"`'),  # 16M would still be too small
        ("0.1Gi", 'give at least `"128Mi"`'),
    ],
)
def test_memory_too_small_hint_never_repeats_the_value(
    tmp_path: Path, memory: str, hint: str
) -> None:
    text = _chainlet("", f'chains.RemoteConfig(compute=chains.Compute(memory="{memory}"))')
    diagnostics = lint_text(tmp_path, text)
    assert [d.code for d in diagnostics] == ["CH707"]
    message = diagnostics[0].message
    assert message.endswith(hint)
    assert f'`"{memory}"`' not in message
