"""``[tool.chains-lint]`` in pyproject.toml, selection rules and command-line overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from chains_lint.config import Config, ConfigError, find_pyproject, load_config, search_start
from chains_lint.linter import active_rules
from chains_lint.rules.registry import ALL_RULES
from tests.test_cli import BAD_CHAIN, GOOD_CHAIN, run_cli, write


def _pyproject(folder: Path, body: str) -> Path:
    return write(folder, "pyproject.toml", "[tool.chains-lint]\n" + body)


# -- selection ------------------------------------------------------------------


def test_empty_selection_selects_everything() -> None:
    config = Config()
    assert all(config.is_selected(rule.code) for rule in ALL_RULES)


def test_prefix_selection() -> None:
    config = Config(select=("CH0",))
    assert config.is_selected("CH001")
    assert not config.is_selected("CH101")


def test_ignore_beats_an_equally_specific_select() -> None:
    assert not Config(select=("CH001",), ignore=("CH001",)).is_selected("CH001")


def test_more_specific_selector_wins() -> None:
    # ruff semantics: the longest matching selector decides.
    assert Config(select=("CH001",), ignore=("CH0",)).is_selected("CH001")
    assert not Config(select=("CH0",), ignore=("CH001",)).is_selected("CH001")
    assert not Config(ignore=("CH",)).is_selected("CH001")


def test_all_selector() -> None:
    assert Config(select=("ALL",)).is_selected("CH001")
    assert not Config(select=("ALL",), ignore=("CH001",)).is_selected("CH001")


def test_extend_select_adds_to_select() -> None:
    config = Config(select=("CH1",), extend_select=("CH001",))
    assert config.is_selected("CH001")
    assert not Config(select=("CH1",)).is_selected("CH001")


def test_profile_filters_rules() -> None:
    truss_only = [r for r in ALL_RULES if "default" not in r.profiles]
    default_codes = {r.code for r in active_rules(Config(profile="default"))}
    truss_codes = {r.code for r in active_rules(Config(profile="truss"))}
    assert "CH001" in default_codes and "CH001" in truss_codes
    for rule in truss_only:
        assert rule.code in truss_codes and rule.code not in default_codes


# -- reading pyproject.toml ---------------------------------------------------------


def test_load_every_key(tmp_path: Path) -> None:
    pyproject = _pyproject(
        tmp_path,
        'select = ["CH0"]\nignore = ["ch001"]\nextend-select = ["CH001"]\n'
        'profile = "truss"\nsrc = ["src", "libs"]\nexclude = ["build/*"]\n',
    )
    config = load_config(pyproject)
    assert config.select == ("CH0",)
    assert config.ignore == ("CH001",)  # codes are case-insensitive
    assert config.extend_select == ("CH001",)
    assert config.profile == "truss"
    assert config.source_roots == (tmp_path / "src", tmp_path / "libs")
    assert config.exclude == ("build/*",)
    assert config.config_file == pyproject
    assert config.project_root == tmp_path


def test_comma_separated_codes_in_a_string(tmp_path: Path) -> None:
    assert load_config(_pyproject(tmp_path, 'select = "CH0, CH001"\n')).select == ("CH0", "CH001")


def test_missing_section_gives_defaults(tmp_path: Path) -> None:
    pyproject = write(tmp_path, "pyproject.toml", "[project]\nname = 'x'\n")
    assert load_config(pyproject) == Config(config_file=pyproject)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ('selekt = ["CH0"]\n', "unknown key 'selekt'"),
        ("select = 3\n", "select must be a list"),
        ('select = ["CH001", 3]\n', "select must be a list"),
        ('select = ["W001"]\n', "'W001' is not a rule code"),
        ('ignore = ["CH9"]\n', "'CH9' matches no rule"),
        ('extend-select = ["CH0000"]\n', "matches no rule"),
        ('profile = "aws"\n', "unknown profile 'aws'"),
        ("profile = 1\n", "unknown profile"),
        ('src = "src"\n', "src must be a list of folders"),
        ("exclude = [1]\n", "exclude must be a list of glob patterns"),
    ],
)
def test_bad_values_are_config_errors(tmp_path: Path, body: str, needle: str) -> None:
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(")) as info:
        load_config(_pyproject(tmp_path, body))
    assert str(tmp_path / "pyproject.toml") in str(info.value)
    assert "\n" not in str(info.value)


def test_section_must_be_a_table(tmp_path: Path) -> None:
    pyproject = write(tmp_path, "pyproject.toml", '[tool]\nchains-lint = "strict"\n')
    with pytest.raises(ConfigError, match="must be a table"):
        load_config(pyproject)


def test_invalid_toml(tmp_path: Path) -> None:
    pyproject = write(tmp_path, "pyproject.toml", "[tool.chains-lint]\nselect = [\n")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(pyproject)


def test_non_utf8_pyproject(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_bytes(b"[tool.chains-lint]\n# caf\xe9\n")
    with pytest.raises(ConfigError, match="not valid UTF-8"):
        load_config(pyproject)


# -- finding pyproject.toml -------------------------------------------------------------


def test_nearest_pyproject_with_the_section_wins(tmp_path: Path) -> None:
    outer = _pyproject(tmp_path, 'select = ["CH0"]\n')
    write(tmp_path, "app/pyproject.toml", "[project]\nname = 'app'\n")  # no section: skipped
    nested = tmp_path / "app" / "chains"
    nested.mkdir(parents=True)
    assert find_pyproject(nested) == outer
    inner = _pyproject(tmp_path / "app" / "chains", 'ignore = ["CH0"]\n')
    assert find_pyproject(nested) == inner


def test_broken_pyproject_on_the_way_up_is_an_error(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", "[tool.chains-lint\n")
    (tmp_path / "sub").mkdir()
    with pytest.raises(ConfigError, match="invalid TOML"):
        find_pyproject(tmp_path / "sub")


def test_search_starts_at_the_common_folder_of_the_paths(tmp_path: Path) -> None:
    assert search_start([], tmp_path) == tmp_path
    assert search_start([Path("a/x.py"), Path("a/b/y.py")], tmp_path) == tmp_path / "a"


# -- end to end through the command line ---------------------------------------------


def test_pyproject_ignore_applies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _pyproject(tmp_path, 'ignore = ["CH001"]\n')
    write(tmp_path, "chain.py", BAD_CHAIN)
    assert run_cli(["chain.py"], tmp_path, capsys, monkeypatch).code == 0
    assert run_cli(["--no-config", "chain.py"], tmp_path, capsys, monkeypatch).code == 1


def test_config_is_found_from_the_linted_paths_not_only_the_cwd(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _pyproject(tmp_path / "project", 'ignore = ["CH001"]\n')
    write(tmp_path, "project/chain.py", BAD_CHAIN)
    (tmp_path / "elsewhere").mkdir()
    run = run_cli([str(tmp_path / "project")], tmp_path / "elsewhere", capsys, monkeypatch)
    assert run.code == 0, run


def test_cli_select_replaces_configured_selection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    others = [r.code for r in ALL_RULES if not r.code.startswith("CH0")]
    if not others:
        pytest.skip("only CH001 is registered")
    _pyproject(tmp_path, f'select = ["{others[0]}"]\n')
    write(tmp_path, "chain.py", BAD_CHAIN)
    assert run_cli(["chain.py"], tmp_path, capsys, monkeypatch).code == 0
    assert run_cli(["--select", "CH0", "chain.py"], tmp_path, capsys, monkeypatch).code == 1


def test_cli_ignore_adds_to_configured_ignore(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _pyproject(tmp_path, 'select = ["CH0"]\n')
    write(tmp_path, "chain.py", BAD_CHAIN)
    assert run_cli(["chain.py"], tmp_path, capsys, monkeypatch).code == 1
    assert run_cli(["--ignore", "CH001", "chain.py"], tmp_path, capsys, monkeypatch).code == 0


def test_explicit_config_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "ci/lint.toml", '[tool.chains-lint]\nignore = ["CH001"]\n')
    write(tmp_path, "chain.py", BAD_CHAIN)
    run = run_cli(["--config", "ci/lint.toml", "chain.py"], tmp_path, capsys, monkeypatch)
    assert run.code == 0, run


def test_profile_from_pyproject_and_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    truss_only = [r for r in ALL_RULES if r.profiles == frozenset({"truss"})]
    if not truss_only:
        pytest.skip("no truss-only rule is registered yet")
    rule = truss_only[0]
    files = {"chain.py": rule.bad} if isinstance(rule.bad, str) else dict(rule.bad)
    for name, text in files.items():
        write(tmp_path, name, text)
    args = ["--select", rule.code, "chain.py"]
    assert run_cli(args, tmp_path, capsys, monkeypatch).code == 0  # default profile
    assert run_cli(["--profile", "truss", *args], tmp_path, capsys, monkeypatch).code == 1
    _pyproject(tmp_path, 'profile = "truss"\n')
    assert run_cli(args, tmp_path, capsys, monkeypatch).code == 1
    assert run_cli(["--profile", "default", *args], tmp_path, capsys, monkeypatch).code == 0


def test_exclude_patterns_skip_files_in_folders(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _pyproject(tmp_path, 'exclude = ["legacy", "*_draft.py", "app/gen/*"]\n')
    write(tmp_path, "app/chain.py", GOOD_CHAIN)
    write(tmp_path, "app/legacy/old.py", BAD_CHAIN)  # a folder name
    write(tmp_path, "app/new_draft.py", BAD_CHAIN)  # a file-name glob
    write(tmp_path, "app/gen/out.py", BAD_CHAIN)  # a path glob, relative to the pyproject
    run = run_cli(["app"], tmp_path, capsys, monkeypatch)
    assert run.code == 0, run
    assert run.out == "All checks passed (1 file).\n"
    # Relative to the pyproject also when linting from a subfolder.
    run = run_cli(["."], tmp_path / "app", capsys, monkeypatch)
    assert run.code == 0, run


def test_src_roots_resolve_imports(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module under a source root is found (and a syntax error in it is not ours)."""
    _pyproject(tmp_path, 'src = ["libs"]\n')
    write(tmp_path, "libs/shared/__init__.py", "")
    write(tmp_path, "libs/shared/greet.py", "def greet(name: str) -> str:\n    return name\n")
    write(
        tmp_path,
        "app/chain.py",
        GOOD_CHAIN.replace(
            "import truss_chains as chains",
            "import truss_chains as chains\nfrom shared import greet",
        ),
    )
    run = run_cli(["app"], tmp_path, capsys, monkeypatch)
    assert run.code == 0, run
    from chains_lint.linter import lint_paths

    result = lint_paths([tmp_path / "app"], load_config(tmp_path / "pyproject.toml"))
    loaded = {m.name for t in result.analysis.targets for m in t.model.modules.values()}
    assert "shared.greet" in loaded
