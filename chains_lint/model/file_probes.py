"""What the rules learn from the file system, recorded so that the cache can check it later.

A rule that looks at a path on disk (does a ``requirements_file`` exist?) asks
:func:`path_state`, never ``os.path`` directly: the cache records every answer given
while a group of files is linted, and reuses the group's findings only while each
answer still holds. ``tests/test_lint_cache.py`` checks that rules follow this.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

PathState = Literal["file", "folder", "empty folder", "missing"]

_RECORDINGS: list[dict[str, PathState]] = []


def path_state(path: str) -> PathState:
    """Whether ``path`` is a file, a folder with something in it, an empty folder, or missing."""
    state = current_state(path)
    for recording in _RECORDINGS:
        recording[path] = state
    return state


def current_state(path: str) -> PathState:
    """:func:`path_state` without recording the answer (what the cache checks with)."""
    if os.path.isfile(path):
        return "file"
    if os.path.isdir(path):
        try:
            return "folder" if os.listdir(path) else "empty folder"
        except OSError:
            return "empty folder"
    return "missing"


@contextmanager
def recording() -> Iterator[dict[str, PathState]]:
    """Every path asked about inside the ``with`` block, with the answer given."""
    answers: dict[str, PathState] = {}
    _RECORDINGS.append(answers)
    try:
        yield answers
    finally:
        _RECORDINGS.remove(answers)
