"""A failing dependency as truss code expects it: ``GenericRemoteException``, truss's
``RemoteErrorDetail`` (``exc.remote_error_detail``), and the built-in exception class kept
(``except ValueError`` around a dependency call), on real chainlet servers under chains-run."""

from __future__ import annotations

import builtins
import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from chains_runtime import import_alias
from chains_runtime.client.errors import DependencyHTTPError, DependencyUnavailableError
from chains_runtime.errors import GenericRemoteException
from chains_runtime.protocol import ErrorDetail, RemoteChainletError
from chains_runtime.remote_error_classes import KEPT_CLASSES
from chains_runtime.remote_error_detail import RemoteErrorDetail, user_frames

from tests.build_helpers import write

CHAINS_RUN = Path(sys.executable).parent / "chains-run"
RUN_TIMEOUT_SEC = 120


def _chains_run(chain: Path, arguments: str) -> Any:
    done = subprocess.run(
        [str(CHAINS_RUN), str(chain), "--input", arguments],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SEC,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


FAILING_DEPENDENCY_CHAIN = """
import truss_chains as chains


def check(n: int) -> int:
    raise ValueError(f"bad number {n}")


class Fails(chains.ChainletBase):
    async def run_remote(self, n: int) -> int:
        return check(n)


@chains.mark_entrypoint
class Catches(chains.ChainletBase):
    def __init__(self, fails: Fails = chains.depends(Fails)) -> None:
        self._fails = fails

    async def run_remote(self, n: int) -> dict[str, object]:
        try:
            await self._fails.run_remote(n)
        except chains.GenericRemoteException as exc:
            detail = exc.remote_error_detail
            return {
                "is_remote_chainlet_error": isinstance(exc, chains.ChainsError),
                "detail": detail.model_dump(),
                "format": detail.format(),
            }
        return {}
"""


def test_a_failing_dependency_is_caught_as_generic_remote_exception(tmp_path: Path) -> None:
    """Two real chainlet servers under chains-run: the entrypoint catches its dependency's
    error as ``chains.GenericRemoteException`` and answers with its ``RemoteErrorDetail``."""
    chain = write(tmp_path, "chain.py", FAILING_DEPENDENCY_CHAIN)
    answer = _chains_run(chain, '{"n": 3}')
    assert answer["is_remote_chainlet_error"] is True
    assert answer["detail"] == {
        "exception_cls_name": "ValueError",
        "exception_module_name": "builtins",
        "exception_message": "bad number 3",
        "user_stack_trace": [
            {"filename": str(chain), "lineno": 10, "name": "run_remote", "line": "return check(n)"},
            {
                "filename": str(chain),
                "lineno": 5,
                "name": "check",
                "line": 'raise ValueError(f"bad number {n}")',
            },
        ],
    }
    assert answer["format"] == (
        "Chainlet-Traceback (most recent call last):\n"
        f'  File "{chain}", line 10, in run_remote\n'
        "    return check(n)\n"
        f'  File "{chain}", line 5, in check\n'
        '    raise ValueError(f"bad number {n}")\n'
        "ValueError: bad number 3\n"
        "(Exception class defined in `builtins`.)"
    )


def test_every_error_a_dependency_reports_is_a_generic_remote_exception() -> None:
    assert issubclass(RemoteChainletError, GenericRemoteException)
    assert issubclass(DependencyHTTPError, GenericRemoteException)
    # Like truss, which raises its HTTP client's errors: no answer is not a remote error.
    assert not issubclass(DependencyUnavailableError, GenericRemoteException)
    import_alias.install()
    truss_chains = importlib.import_module("truss_chains")
    assert truss_chains.GenericRemoteException is GenericRemoteException
    assert truss_chains.RemoteErrorDetail is RemoteErrorDetail


KEPT_CLASS_CHAIN = """
import truss_chains as chains


class MyError(Exception):
    pass


class Raises(chains.ChainletBase):
    async def run_remote(self, kind: str) -> str:
        if kind == "value":
            raise ValueError("a bad value")
        if kind == "key":
            raise KeyError("k")
        if kind == "connection":
            raise ConnectionError("not a transport failure of the call")
        raise MyError("mine")


@chains.mark_entrypoint
class Catches(chains.ChainletBase):
    def __init__(self, raises: Raises = chains.depends(Raises)) -> None:
        self._raises = raises

    async def run_remote(self, kind: str) -> list[str]:
        caught = []
        try:
            await self._raises.run_remote(kind)
        except ValueError as exc:
            caught.append("ValueError:" + exc.remote_error_detail.exception_message)
        except KeyError:
            caught.append("KeyError")
        except ConnectionError:
            caught.append("ConnectionError")
        except chains.GenericRemoteException as exc:
            caught.append("GenericRemoteException:" + exc.remote_error_detail.exception_cls_name)
        return caught
"""


@pytest.mark.parametrize(
    ("kind", "caught"),
    [
        ("value", ["ValueError:a bad value"]),
        ("key", ["KeyError"]),
        ("connection", ["GenericRemoteException:ConnectionError"]),  # never a transport error
        ("mine", ["GenericRemoteException:MyError"]),
    ],
)
def test_a_dependency_error_keeps_its_built_in_class_as_in_truss(
    kind: str, caught: list[str], tmp_path: Path
) -> None:
    chain = write(tmp_path, "chain.py", KEPT_CLASS_CHAIN)
    assert _chains_run(chain, json.dumps({"kind": kind})) == caught


def test_kept_classes_are_remote_chainlet_errors_of_the_same_name() -> None:
    for name in sorted(KEPT_CLASSES):
        detail = ErrorDetail(type=name, message="m", chainlet="C", status=500)
        error = RemoteChainletError.from_detail(detail)
        assert isinstance(error, RemoteChainletError)
        assert isinstance(error, getattr(builtins, name))
        assert type(error).__name__ == "RemoteChainletError"
        assert str(error) == "chainlet 'C' failed with " + name + " (HTTP 500): m"
    plain = RemoteChainletError.from_detail(
        ErrorDetail(type="TimeoutError", message="m", chainlet="C", status=500)
    )
    assert type(plain) is RemoteChainletError and not isinstance(plain, TimeoutError)


CHAINED_TRACEBACK = textwrap.dedent(
    """\
    Traceback (most recent call last):
      File "/app/user.py", line 3, in first
        int("x")
    ValueError: invalid literal for int() with base 10: 'x'

    During handling of the above exception, another exception occurred:

    Traceback (most recent call last):
      File "/venv/lib/python3.11/site-packages/chains_runtime/server/app.py", line 90, in _run
        result = await method(**arguments)
                 ^^^^^^^^^^^^^^^^^^^^^^^^^
      File "/app/user.py", line 8, in run_remote
        return helper()
               ^^^^^^^^
      File "<string>", line 2, in helper
    KeyError: 'k'
    """
)


def test_user_frames_are_those_of_the_raised_exception_without_the_runtimes() -> None:
    frames = user_frames(CHAINED_TRACEBACK)
    assert [(f.filename, f.lineno, f.name, f.line) for f in frames] == [
        ("/app/user.py", 8, "run_remote", "return helper()"),
        ("<string>", 2, "helper", None),
    ]
    assert user_frames("") == []


def test_an_error_without_traceback_or_of_a_user_class_has_no_stack_or_module() -> None:
    error = RemoteChainletError(chainlet="A", type="MyError", message="boom", status=500)
    detail = error.remote_error_detail
    assert detail.exception_module_name is None and detail.user_stack_trace == []
    assert detail.format() == "Chainlet-Traceback (most recent call last):\nMyError: boom"
