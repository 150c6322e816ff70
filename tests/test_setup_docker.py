"""``scripts/setup-docker.sh`` run again once Docker is provisioned (in CI, ``.ci/run`` ran it
first): it finds everything in place, and no process is left holding its lock. A dockerd it
started used to inherit the lock's file descriptor, so every later run waited 30 minutes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

from tests.deploy_helpers import require_docker
from tests.e2e.compose_chain import BASE_IMAGE

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "scripts" / "setup-docker.sh"
LOCK = "/run/lock/chains-setup-docker.lock"
RUN_TIMEOUT_SEC = 120


def _lock_holders() -> list[str]:
    """``pid (command)`` of every process with the lock file open (those this user may read)."""
    holders = []
    for fd_dir in sorted(Path("/proc").glob("[0-9]*/fd")):
        try:
            targets = {os.readlink(fd) for fd in fd_dir.iterdir()}
            command = (fd_dir.parent / "comm").read_text().strip()
        except OSError:  # gone meanwhile, or another user's
            continue
        if LOCK in targets:
            holders.append(f"{fd_dir.parent.name} ({command})")
    return holders


def test_a_second_run_finds_everything_in_place_and_leaves_no_lock_held() -> None:
    require_docker(BASE_IMAGE).close()
    process = subprocess.Popen(
        ["bash", str(SCRIPT)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate(timeout=RUN_TIMEOUT_SEC)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate()
        pytest.fail(f"setup-docker.sh did not finish in {RUN_TIMEOUT_SEC} s:\n{stderr}")
    assert process.returncode == 0, stderr
    ready = rf"setup-docker: ready: Docker, docker-compose \S+, {re.escape(BASE_IMAGE)}\n"
    assert re.search(ready, stderr), stderr
    assert "installing" not in stderr and "starting dockerd" not in stderr, stderr
    assert _lock_holders() == []
