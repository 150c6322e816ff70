"""``import truss_chains`` without truss: the alias finder, the pytest plugin, the linter.

Everything that touches ``sys.modules`` or ``sys.meta_path`` runs in a fresh
interpreter (a subprocess), so the tests see what a user's process sees.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "examples" / "hello" / "chain.py"


def python(
    code: str, *, cwd: Path = ROOT, pythonpath: Path | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTEST_ADDOPTS"}}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_without_the_alias_truss_chains_is_missing() -> None:
    # The ground truth the alias is for: truss is not installed in this environment.
    result = python("import truss_chains")
    assert result.returncode == 1
    assert "No module named 'truss_chains'" in result.stderr


def test_hello_example_runs_unchanged_through_run_local() -> None:
    out = ok(
        python(f"""
        import asyncio, importlib.util
        from chains_runtime import import_alias
        import_alias.install()
        spec = importlib.util.spec_from_file_location("hello_chain", {str(HELLO)!r})
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        import truss_chains as chains
        with chains.run_local():
            chain = module.HelloAll()
        print(asyncio.run(chain.run_remote(["Ada", "Grace"])))
        print(type(chain._say_hello).__name__)
        """)
    )
    assert out == "Hello, Ada\nHello, Grace\nSayHello\n"


def test_the_alias_holds_the_same_objects() -> None:
    out = ok(
        python("""
        from chains_runtime import import_alias
        import_alias.install()
        import chains_runtime
        import truss_chains
        from truss_chains import ChainletBase, depends
        from truss_chains.public_api import run_local
        from truss_chains.public_types import RemoteConfig
        import truss_chains.utils
        assert ChainletBase is chains_runtime.ChainletBase
        assert depends is chains_runtime.depends and run_local is chains_runtime.run_local
        assert RemoteConfig is chains_runtime.RemoteConfig
        assert truss_chains.utils.make_abs_path_here is chains_runtime.make_abs_path_here
        assert sorted(truss_chains.__all__) == sorted(chains_runtime.__all__)
        assert chains_runtime.__name__ == "chains_runtime"  # the real package is untouched
        assert import_alias.resolves_to_alias()
        print("ok")
        """)
    )
    assert out == "ok\n"


def test_an_unknown_truss_submodule_says_what_is_provided() -> None:
    result = python("""
        from chains_runtime import import_alias
        import_alias.install()
        import truss_chains.private_types
        """)
    assert result.returncode == 1
    assert "ModuleNotFoundError: No module named 'truss_chains.private_types'" in result.stderr
    assert "chains_runtime" in result.stderr and "`truss_chains.public_api`" in result.stderr


def test_install_is_idempotent_and_uninstall_forgets_the_alias() -> None:
    out = ok(
        python("""
        import sys
        from chains_runtime import import_alias
        import_alias.install(); import_alias.install()
        print(sum(isinstance(f, import_alias.TrussChainsAlias) for f in sys.meta_path))
        print(sys.meta_path[-1].__class__.__name__)
        import truss_chains, truss_chains.framework
        import_alias.uninstall()
        print(import_alias.is_installed(), "truss_chains" in sys.modules)
        try:
            import truss_chains
        except ModuleNotFoundError:
            print("gone")
        """)
    )
    assert out == "1\nTrussChainsAlias\nFalse False\ngone\n"


def _fake_truss(folder: Path) -> Path:
    package = folder / "truss_chains"
    package.mkdir()
    (package / "__init__.py").write_text("REAL = 'fake truss'\n")
    (package / "streaming.py").write_text("STREAMING = True\n")
    return folder


def test_the_alias_never_shadows_a_real_truss_chains(tmp_path: Path) -> None:
    out = ok(
        python(
            """
            from chains_runtime import import_alias
            import_alias.install()
            import truss_chains
            import truss_chains.streaming
            print(truss_chains.REAL, truss_chains.streaming.STREAMING)
            print(hasattr(truss_chains, "ChainletBase"), import_alias.resolves_to_alias())
            try:
                import truss_chains.public_api  # missing in the real package: no alias either
            except ModuleNotFoundError as error:
                print(error)
            """,
            pythonpath=_fake_truss(tmp_path),
        )
    )
    assert out == (
        "fake truss True\nFalse False\nNo module named 'truss_chains.public_api'\n"
    )


# The pytest plugin ####################################################################

USER_TEST = '''
import asyncio

import truss_chains as chains

from chain import HelloAll


def test_hello() -> None:
    with chains.run_local():
        chain = HelloAll()
    assert asyncio.run(chain.run_remote(["Ada"])) == "Hello, Ada"
'''


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTEST_ADDOPTS"}}
    env.pop("CHAINS_RUNTIME_NO_TRUSS_ALIAS", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


@pytest.fixture
def user_project(tmp_path: Path) -> Path:
    (tmp_path / "chain.py").write_text(HELLO.read_text())
    (tmp_path / "test_chain.py").write_text(USER_TEST)
    (tmp_path / "conftest.py").write_text("")  # rootdir-relative imports of chain.py
    return tmp_path


def test_the_plugin_lets_users_test_truss_chains_files(user_project: Path) -> None:
    result = _pytest(user_project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
    header = _pytest(user_project, "--co")
    assert "`import truss_chains` loads chains_runtime" in header.stdout


def test_the_plugin_can_be_turned_off(user_project: Path) -> None:
    result = _pytest(user_project, "-p", "no:chains_runtime")
    assert result.returncode != 0
    assert "No module named 'truss_chains'" in result.stdout


# The linter agrees ####################################################################


def _lint(*paths: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "chains_lint", *paths],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_examples_lint_clean() -> None:
    result = _lint("examples/")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_chain_importing_chains_runtime_lints_clean(tmp_path: Path) -> None:
    chain = tmp_path / "chain.py"
    text = HELLO.read_text().replace("import truss_chains as", "import chains_runtime as")
    chain.write_text(text)
    assert "chains_runtime" in chain.read_text()
    result = _lint(str(chain), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    # ...and runs, without any alias.
    out = ok(
        python(
            """
            import asyncio
            import chains_runtime as chains
            from chain import HelloAll
            with chains.run_local():
                chain = HelloAll()
            print(asyncio.run(chain.run_remote(["Ada"])))
            """,
            cwd=tmp_path,
        )
    )
    assert out == "Hello, Ada\n"
