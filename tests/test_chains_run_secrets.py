"""Secrets never on a command line: ``chains-run --serve`` with secrets, an API key and a service
token, and a scan of every process's ``/proc/PID/cmdline`` (readable by every local user).

The safe forms (``--secret KEY`` reading the variable ``KEY``, ``CHAINS_API_KEY``,
``CHAINS_SERVICE_TOKEN``) put no value on any command line, and the chainlets get them through
pipes, not their environment either. The inline forms (``--secret KEY=VALUE``, ``--api-key K``)
still work: their values are on ``chains-run``'s own command line, because the user typed them
there, and nowhere else; ``chains-run`` warns about each, saying what to use instead.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from chains_runtime.protocol import SERVICE_TOKEN_HEADER

from tests.test_chains_run import (
    CHAINS_RUN,
    ROOT,
    describe,
    free_port,
    kill_leftovers,
    run,
    serve_processes,
    stop_process,
    wait_for,
)

Serve = Callable[[list[str], dict[str, str]], "Served"]
SECRET_CHAIN = ROOT / "examples" / "secret" / "chain.py"
WAIT_SEC = 30.0
SECRET_WARNING = (
    "chains-run: warning: --secret webhook_signing_key=... puts the value on the command line, "
    "where every local user can read it (ps, /proc/PID/cmdline); export "
    "webhook_signing_key=... and pass --secret webhook_signing_key, or use --secrets-dir DIR"
)
API_KEY_WARNING = (
    "chains-run: warning: --api-key puts the key on the command line, where every local user "
    "can read it (ps, /proc/PID/cmdline); set the environment variable CHAINS_API_KEY instead"
)
# What may follow the target on a chainlet's command line: flags, numbers, a log level.
HARMLESS_ARGUMENT = re.compile(r"--[a-z-]+|[0-9.]+|trace|debug|info|warning|error|critical")


@dataclass
class Values:
    signing_key: str
    api_key: str
    service_token: str

    def all(self) -> list[bytes]:
        return [v.encode() for v in (self.signing_key, self.api_key, self.service_token)]


@dataclass
class Served:
    chain: Path
    url: str
    internal_url: str
    err: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.err.read_text(errors="replace")


@pytest.fixture
def values() -> Values:
    """Fresh values, so no other process on the machine can hold them by chance."""
    return Values(
        signing_key=f"whsec-{secrets.token_hex(12)}",
        api_key=f"key-{secrets.token_hex(12)}",
        service_token=f"tok-{secrets.token_hex(16)}",
    )


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    started: list[Served] = []

    def start(arguments: list[str], env: dict[str, str]) -> Served:
        chain = tmp_path / "secret_chain.py"  # a path of its own: its processes are found by it
        chain.write_text(SECRET_CHAIN.read_text(encoding="utf-8"), encoding="utf-8")
        port, err = free_port(), tmp_path / "err"
        base = {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}
        command = [str(CHAINS_RUN), str(chain), "--serve", "--port", str(port), *arguments]
        with err.open("wb") as stderr:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env={**base, **env},
                start_new_session=True,
            )
        served = Served(chain, f"http://127.0.0.1:{port}/run_remote", "", err, process)
        started.append(served)
        wait_for(lambda: "serving SignedWebhook at" in served.log(), "the chain", WAIT_SEC)
        internal = re.search(r"internal chainlet Signer at (\S+)", served.log())
        assert internal is not None, served.log()
        served.internal_url = internal.group(1)
        return served

    yield start
    for served in started:
        stop_process(served.process)
        assert not kill_leftovers(served.chain), "chainlet processes were left behind"


def command_lines() -> dict[int, bytes]:
    """Every process's command line, as any local user can read it."""
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                found[int(entry.name)] = (entry / "cmdline").read_bytes()
            except OSError:
                continue  # gone meanwhile
    return found


def holders(value: bytes) -> set[int]:
    return {pid for pid, cmdline in command_lines().items() if value in cmdline}


def check_the_chain_works(served: Served, values: Values) -> None:
    """The secret, the API key and the service token reached the chainlets and are in use."""
    message = {"message": "order 1234 shipped"}
    headers = {"x-api-key": values.api_key}
    answer = httpx.post(served.url, json=message, headers=headers, timeout=WAIT_SEC)
    assert answer.status_code == 200, answer.text
    key = values.signing_key.encode()
    expected = hmac.new(key, b"order 1234 shipped", hashlib.sha256).hexdigest()
    assert answer.json()["signature"] == expected
    assert httpx.post(served.url, json=message, timeout=WAIT_SEC).status_code == 401


def check_chainlets(served: Served, values: Values) -> None:
    """No value in a chainlet's command line (only flags and numbers) or its environment."""
    children = serve_processes(served.chain)
    assert len(children) == 2, served.log()
    for pid in children:
        arguments = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")[:-1]
        after = arguments[arguments.index("chains_runtime.serve") + 2 :]
        assert all(HARMLESS_ARGUMENT.fullmatch(a) for a in after), arguments
        environ = Path(f"/proc/{pid}/environ").read_bytes()  # readable by the same user only
        assert not [v for v in values.all() if v in environ]
        assert b"\0webhook_signing_key=" not in b"\0" + environ
        assert b"CHAINS_" not in environ


def test_the_safe_forms_keep_every_value_off_every_command_line(
    serve: Serve, values: Values
) -> None:
    served = serve(
        ["--secret", "webhook_signing_key"],
        {
            "webhook_signing_key": values.signing_key,
            "CHAINS_API_KEY": values.api_key,
            "CHAINS_SERVICE_TOKEN": values.service_token,
        },
    )
    check_the_chain_works(served, values)
    internal = httpx.post(
        served.internal_url,
        json={"message": "x"},
        headers={SERVICE_TOKEN_HEADER: values.service_token},
        timeout=WAIT_SEC,
    )
    assert internal.status_code == 200, internal.text  # the token chains-run was given
    for value in values.all():
        assert not holders(value), f"{value!r} is on a command line"
    check_chainlets(served, values)
    assert "warning" not in served.log()
    assert not [v for v in values.all() if v.decode() in served.log()]

    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=WAIT_SEC) == 0, served.log()


def test_the_inline_forms_work_warn_and_stay_on_chains_runs_own_command_line(
    serve: Serve, values: Values
) -> None:
    served = serve(
        ["--secret", f"webhook_signing_key={values.signing_key}", "--api-key", values.api_key],
        {"CHAINS_SERVICE_TOKEN": values.service_token},
    )
    check_the_chain_works(served, values)
    # The user typed these two on chains-run's command line: there, and nowhere else.
    assert holders(values.signing_key.encode()) == {served.process.pid}
    assert holders(values.api_key.encode()) == {served.process.pid}
    assert not holders(values.service_token.encode())
    check_chainlets(served, values)
    assert SECRET_WARNING in served.log()
    assert API_KEY_WARNING in served.log()


def test_a_secret_whose_variable_is_not_set_is_a_usage_error() -> None:
    name = f"unset_secret_{secrets.token_hex(4)}"
    assert name not in os.environ
    result = run(SECRET_CHAIN, "--secret", name, "--input", '{"message": "x"}')
    assert result.returncode == 2, describe(result)
    assert f"--secret {name}: the environment variable `{name}` is not set" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("wiring", "message"),
    [
        (b"{", "the wiring config in --wiring-fd"),
        (b'{"chainlet": "Signer"}', "requires a service token"),
    ],
)
def test_serve_refuses_bad_wiring_on_its_pipe(wiring: bytes, message: str) -> None:
    """``python -m chains_runtime.serve`` as chains-run starts it: the wiring comes by a pipe."""
    read_end, write_end = os.pipe()
    os.write(write_end, wiring)
    os.close(write_end)
    command = [sys.executable, "-m", "chains_runtime.serve", f"{SECRET_CHAIN}:Signer"]
    try:
        result = subprocess.run(
            [*command, "--wiring-fd", str(read_end)],
            pass_fds=(read_end,),
            env={k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")},
            capture_output=True,
            text=True,
            timeout=WAIT_SEC,
        )
    finally:
        os.close(read_end)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
