"""Secret reads (the model) and CH601-CH604 (declared against ``Assets(secret_keys=...)``)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from chains_lint.analysis import analyse
from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic
from chains_lint.linter import lint_files
from chains_lint.model.types import Chainlet
from tests.lint_helpers import lint_text, write_files

_TEMPLATE = """
import truss_chains as chains

CONSTANTS


class Model(chains.ChainletBase):
    remote_config = CONFIG

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
INIT

    async def run_remote(self, prompt: str) -> str:
RUN
"""

_DECLARED = 'chains.RemoteConfig(assets=chains.Assets(secret_keys=["hf_access_token", "openai"]))'


def _chain(
    init: str = "pass",
    run: str = "return prompt",
    config: str = _DECLARED,
    constants: str = "",
) -> str:
    text = _TEMPLATE.replace("CONFIG", config).replace("CONSTANTS", constants)
    text = text.replace("INIT", textwrap.indent(textwrap.dedent(init).strip("\n"), " " * 8))
    return text.replace("RUN", textwrap.indent(textwrap.dedent(run).strip("\n"), " " * 8))


def _chainlet(tmp_path: Path, files: str | dict[str, str], name: str = "Model") -> Chainlet:
    main = write_files(tmp_path, files)
    model = analyse([main]).targets[0].model
    return next(c for c in model.chainlets.values() if c.name == name)


def _reads(tmp_path: Path, source: str) -> list[tuple[str | None, str, str]]:
    return [(r.key, r.access, r.method) for r in _chainlet(tmp_path, source).secret_reads]


def _found(tmp_path: Path, files: str | dict[str, str]) -> list[Diagnostic]:
    return [d for d in lint_text(tmp_path, files) if d.code.startswith("CH6")]


def _codes(tmp_path: Path, files: str | dict[str, str]) -> list[str]:
    return [d.code for d in _found(tmp_path, files)]


# ---------------------------------------------------------------------------
# The model: finding reads
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("init", "run", "expected"),
    [
        ('self._t = context.secrets["hf_access_token"]', "return prompt",
         [("hf_access_token", "subscript", "__init__")]),
        ('self._t = context.secrets.get("openai")', "return prompt",
         [("openai", "get", "__init__")]),
        ('self._t = context.secrets.get("openai", "")', "return prompt",
         [("openai", "get", "__init__")]),
        ('self._t = "openai" in context.secrets', "return prompt",
         [("openai", "in", "__init__")]),
        ('self._t = "openai" not in context.secrets', "return prompt",
         [("openai", "in", "__init__")]),
        (
            "self._context = context",
            'return self._context.secrets["hf_access_token"]',
            [("hf_access_token", "subscript", "run_remote")],
        ),
        (
            "self._secrets = context.secrets",
            'return self._secrets.get("openai") or prompt',
            [("openai", "get", "run_remote")],
        ),
        (
            'secrets = context.secrets\nself._t = secrets["openai"]',
            "return prompt",
            [("openai", "subscript", "__init__")],
        ),
        (
            "self._context = context",
            'ctx = self._context\nsecrets = ctx.secrets\nreturn secrets["openai"]',
            [("openai", "subscript", "run_remote")],
        ),
        ("self._t = context.secrets[f'{1}']", "return prompt", [(None, "subscript", "__init__")]),
        ("self._t = context.secrets[KEY]", "return prompt", [("openai", "subscript", "__init__")]),
        ('context.secrets["x"] = "y"', "return prompt", []),
        ('self._t = other.secrets["x"]', "return prompt", []),
        ('self._t = self.secrets["x"]', "return prompt", []),
    ],
    ids=[
        "subscript", "get", "get-default", "in", "not-in", "stored-context", "stored-secrets",
        "local-alias", "alias-chain", "dynamic", "constant-key", "write", "other-object",
        "self-secrets",
    ],
)
def test_reads(
    init: str, run: str, expected: list[tuple[str | None, str, str]], tmp_path: Path
) -> None:
    assert _reads(tmp_path, _chain(init, run, constants='KEY = "openai"')) == expected


def test_context_parameter_with_another_name(tmp_path: Path) -> None:
    source = _chain('self._t = ctx.secrets["openai"]').replace(
        "context: chains.DeploymentContext", "ctx: chains.DeploymentContext"
    )
    assert _reads(tmp_path, source) == [("openai", "subscript", "__init__")]


def test_no_context_parameter_means_no_reads(tmp_path: Path) -> None:
    source = _chain('self._t = context.secrets["openai"]').replace(
        "context: chains.DeploymentContext = chains.depends_context()", "context: object = None"
    )
    assert _reads(tmp_path, source) == []


def test_read_spans_point_at_the_key(tmp_path: Path) -> None:
    source = _chain('self._t = context.secrets["openai"]')
    (read,) = _chainlet(tmp_path, source).secret_reads
    line = source.lstrip("\n").splitlines()[read.span.line - 1]
    assert line[read.span.column - 1 : read.span.end_column - 1] == '"openai"'


# ---------------------------------------------------------------------------
# CH601 / CH602: undeclared keys
# ---------------------------------------------------------------------------


def test_declared_keys_are_fine(tmp_path: Path) -> None:
    source = _chain(
        'self._a = context.secrets["hf_access_token"]\nself._b = context.secrets.get("openai")'
    )
    assert lint_text(tmp_path, source) == []


def test_undeclared_subscript(tmp_path: Path) -> None:
    found = _found(tmp_path, _chain('self._t = context.secrets["hf_acess_token"]'))
    assert [d.code for d in found] == ["CH601"]
    message = found[0].message
    assert "secret `hf_acess_token` is not declared by `Model`" in message
    assert "did you mean `hf_access_token`?" in message
    assert "(declared: `hf_access_token`, `openai`)" in message


@pytest.mark.parametrize(
    "read",
    ['context.secrets.get("hf_token")', '"hf_token" in context.secrets'],
)
def test_undeclared_optional_read_is_a_warning(read: str, tmp_path: Path) -> None:
    found = _found(tmp_path, _chain(f"self._t = {read}"))
    assert [(d.code, d.severity.value) for d in found] == [("CH602", "warning")]


def test_framework_api_key_is_implicitly_declared(tmp_path: Path) -> None:
    assert _codes(tmp_path, _chain('self._t = context.secrets["baseten_chain_api_key"]')) == []


def test_no_remote_config_at_all(tmp_path: Path) -> None:
    source = _chain('self._t = context.secrets["hf_access_token"]').replace(
        f"    remote_config = {_DECLARED}\n", ""
    )
    found = _found(tmp_path, source)
    assert [d.code for d in found] == ["CH601"]
    assert 'assets=chains.Assets(secret_keys=["hf_access_token"])' in found[0].message


def test_remote_config_without_assets(tmp_path: Path) -> None:
    config = 'chains.RemoteConfig(compute=chains.Compute(cpu_count=2))'
    source = _chain('self._t = context.secrets["openai"]', config=config)
    assert _codes(tmp_path, source) == ["CH601"]


@pytest.mark.parametrize(
    ("config", "constants"),
    [
        ('chains.RemoteConfig(assets=chains.Assets(secret_keys=("openai",)))', ""),
        ('chains.RemoteConfig(assets=chains.Assets(secret_keys={"openai"}))', ""),
        ('chains.RemoteConfig(assets=chains.Assets([], ["openai"]))', ""),
        ("chains.RemoteConfig(assets=chains.Assets(secret_keys=KEYS))", 'KEYS = ["openai"]'),
        ("chains.RemoteConfig(assets=ASSETS)", 'ASSETS = chains.Assets(secret_keys=["openai"])'),
        ("CONFIG", 'CONFIG = chains.RemoteConfig(assets=chains.Assets(secret_keys=["openai"]))'),
    ],
    ids=["tuple", "set", "positional", "constant-list", "constant-assets", "constant-config"],
)
def test_declared_in_other_literal_forms(config: str, constants: str, tmp_path: Path) -> None:
    source = _chain(
        'self._t = context.secrets["openai"]\nself._u = context.secrets["other"]',
        config=config,
        constants=constants,
    )
    found = _found(tmp_path, source)
    assert [d.code for d in found] == ["CH601"]
    assert "`other`" in found[0].message


def test_bare_string_secret_keys_is_not_reported_twice(tmp_path: Path) -> None:
    config = 'chains.RemoteConfig(assets=chains.Assets(secret_keys="openai"))'
    source = _chain('self._t = context.secrets["openai"]', config=config)
    # The bare string itself is CH716's business; the read is what the author meant.
    assert _codes(tmp_path, source) == []


def test_aliased_reads_in_other_methods_are_checked(tmp_path: Path) -> None:
    source = _chain("self._secrets = context.secrets", run='return self._secrets["nope"]')
    found = _found(tmp_path, source)
    lines = source.lstrip("\n").splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if '"nope"' in text)
    assert [(d.code, d.span.line) for d in found] == [("CH601", line)]


# ---------------------------------------------------------------------------
# CH603: dynamic keys
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "read",
    ["context.secrets[name]", 'context.secrets.get(f"{name}_token")', "name in context.secrets"],
)
def test_dynamic_key(read: str, tmp_path: Path) -> None:
    source = _chain(f'name = "openai"\nself._t = {read}')
    found = _found(tmp_path, source)
    assert [(d.code, d.severity.value) for d in found] == [("CH603", "warning")]


# ---------------------------------------------------------------------------
# CH604: declared keys that cannot be seen
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "constants"),
    [
        ("make_config()", "def make_config() -> chains.RemoteConfig:\n    return BASE"),
        ("chains.RemoteConfig(assets=make_assets())", ""),
        ("chains.RemoteConfig(assets=chains.Assets(secret_keys=list(NAMES)))", ""),
        ("chains.RemoteConfig(**OPTIONS)", "OPTIONS: dict[str, object] = {}"),
        ("chains.RemoteConfig(assets=chains.Assets(secret_keys=[*NAMES, 'openai']))", ""),
    ],
    ids=["factory", "assets-factory", "keys-call", "star-kwargs", "starred"],
)
def test_unreadable_declaration_warns_instead(
    config: str, constants: str, tmp_path: Path
) -> None:
    source = _chain('self._t = context.secrets["hf_access_token"]', config=config,
                    constants=constants)
    found = _found(tmp_path, source)
    assert [(d.code, d.severity.value) for d in found] == [("CH604", "warning")]
    assert "`hf_access_token`" in found[0].message


def test_partially_literal_list(tmp_path: Path) -> None:
    config = 'chains.RemoteConfig(assets=chains.Assets(secret_keys=["openai", other_key()]))'
    seen = _chain('self._t = context.secrets["openai"]', config=config)
    assert _codes(tmp_path, seen) == []
    unseen = _chain('self._t = context.secrets["hf_access_token"]', config=config)
    assert _codes(tmp_path, unseen) == ["CH604"]


def test_imported_constant_cannot_be_seen(tmp_path: Path) -> None:
    files = {
        "chain.py": _chain(
            'self._t = context.secrets["openai"]',
            config="chains.RemoteConfig(assets=chains.Assets(secret_keys=KEYS))",
            constants="from settings import KEYS",
        ),
        "settings.py": 'KEYS = ["openai"]\n',
    }
    assert _codes(tmp_path, files) == ["CH604"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ('chains.RemoteConfig(assets=chains.Assets(secret_keys=["openai"]), **OPTIONS)', "CH601"),
        ('chains.RemoteConfig(assets=chains.Assets(secret_keys=["openai"], **OPTIONS))', "CH601"),
        ('chains.RemoteConfig(assets=chains.Assets(["cached"], **OPTIONS))', "CH604"),
        ('chains.RemoteConfig(assets=chains.Assets(secret_keys={"openai": 1, "other": 2}))', None),
        ("chains.RemoteConfig(assets=chains.Compute())", "CH604"),
        ("chains.RemoteConfig(assets=ASSETS)", "CH604"),
        ("CONFIG", "CH604"),
    ],
    ids=[
        "config-kwargs-after-assets", "assets-kwargs-after-keys", "assets-kwargs-without-keys",
        "dict", "wrong-constructor", "imported-assets", "imported-config",
    ],
)
def test_which_declarations_can_be_seen(
    config: str, expected: str | None, tmp_path: Path
) -> None:
    files = {
        "chain.py": _chain(
            'self._t = context.secrets["openai"]\nself._u = context.secrets["other"]',
            config=config,
            constants='from settings import ASSETS, CONFIG\nOPTIONS: dict[str, object] = {}',
        ),
        "settings.py": (
            "import truss_chains as chains\n"
            'ASSETS = chains.Assets(secret_keys=["openai", "other"])\n'
            "CONFIG = chains.RemoteConfig(assets=ASSETS)\n"
        ),
    }
    assert _codes(tmp_path, files) == ([expected] if expected else [])


# ---------------------------------------------------------------------------
# Inheritance
# ---------------------------------------------------------------------------

_BASE = """
import truss_chains as chains


class Base(chains.ChainletBase):
    remote_config = chains.RemoteConfig(assets=chains.Assets(secret_keys=["openai"]))

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._key = context.secrets["openai"]

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""


def test_subclass_overriding_remote_config_without_the_key(tmp_path: Path) -> None:
    source = _BASE + """

@chains.mark_entrypoint
class Sub(Base):
    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=2))
"""
    found = _found(tmp_path, source)
    assert [(d.code, d.span.line) for d in found] == [("CH601", 8)]
    assert "not declared by `Sub`" in found[0].message


def test_subclass_inheriting_remote_config_is_fine_and_not_duplicated(tmp_path: Path) -> None:
    source = _BASE.replace('"openai"]', '"other"]', 1) + """

@chains.mark_entrypoint
class Sub(Base):
    pass
"""
    found = _found(tmp_path, source)
    # One report (at the read, by Base); Sub shares Base's remote_config.
    assert [(d.code, d.span.line) for d in found] == [("CH601", 8)]
    assert "not declared by `Base`" in found[0].message


def test_base_in_unlinted_file_is_reported_at_subclass(tmp_path: Path) -> None:
    files = {
        "chain.py": """
import truss_chains as chains
from base import Base


class Sub(Base):
    remote_config = chains.RemoteConfig(assets=chains.Assets(secret_keys=["hf"]))
""",
        "base.py": _BASE,
    }
    found = _found(tmp_path, files)
    assert len(found) == 1
    diagnostic = found[0]
    assert diagnostic.code == "CH601"
    assert diagnostic.span.path.endswith("chain.py") and diagnostic.span.line == 5
    assert diagnostic.message.startswith("in `__init__` inherited from ")
    assert diagnostic.related[0].path.endswith("base.py")


def test_base_and_sub_both_linted(tmp_path: Path) -> None:
    sub = """
import truss_chains as chains
from base import Base


class Sub(Base):
    pass
"""
    write_files(tmp_path, {"chain.py": sub, "base.py": _BASE.replace('["openai"]', "[]", 1)})
    result = lint_files([tmp_path / "chain.py", tmp_path / "base.py"], Config())
    found = [d for d in result.diagnostics if d.code.startswith("CH6")]
    assert [(Path(d.span.path).name, d.code) for d in found] == [("base.py", "CH601")]


def test_unreadable_inherited_config_is_reported_once(tmp_path: Path) -> None:
    source = _BASE.replace(
        'chains.RemoteConfig(assets=chains.Assets(secret_keys=["openai"]))', "make_config()"
    ) + """

@chains.mark_entrypoint
class Sub(Base):
    pass
"""
    found = _found(tmp_path, source)
    assert [(d.code, d.span.line) for d in found] == [("CH604", 5)]
    assert "`Base` reads the secrets `openai`" in found[0].message


def test_project_runtime_sdk_is_understood_too(tmp_path: Path) -> None:
    source = _chain('self._t = context.secrets["nope"]').replace(
        "import truss_chains as chains", "import chains_runtime as chains"
    )
    assert _codes(tmp_path, source) == ["CH601"]
