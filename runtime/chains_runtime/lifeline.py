"""A chainlet process started by ``chains-run`` ends when ``chains-run`` ends, however it ends.

On Linux the kernel sends the child SIGTERM when its parent dies, even by SIGKILL
(``PR_SET_PDEATHSIG``); the child asks for it itself, first thing, so the parent needs no
pre-exec hook. Elsewhere this is a no-op and the parent's own stop is all there is.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

_PR_SET_PDEATHSIG = 1


class ParentGoneError(Exception):
    """The parent died before this process could tie its life to it."""


def die_with_parent(parent_pid: int) -> bool:
    """Get SIGTERM when ``parent_pid`` (our parent) dies; False where the OS cannot do it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return False
    if prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        return False
    # Asked after the parent was gone: the kernel will never send the signal.
    if os.getppid() != parent_pid:
        raise ParentGoneError(f"the parent process {parent_pid} is gone")
    return True
