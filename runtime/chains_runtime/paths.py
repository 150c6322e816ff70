"""``make_abs_path_here``: file paths written relative to the file that names them."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from chains_runtime.errors import ChainsUsageError


class AbsPath:
    """A path made absolute against the folder of the module that created it.

    ``abs_path`` checks that the file (or a non-empty folder) exists when it is read,
    not when the path is made, so a chain file can be imported on a machine that does
    not hold the data yet. ``os.fspath(p)`` gives the absolute path without the check.
    """

    __slots__ = ("_abs_path", "_creating_file", "_original_path")

    def __init__(self, abs_path: str, creating_file: str, original_path: str) -> None:
        self._abs_path = abs_path
        self._creating_file = creating_file
        self._original_path = original_path

    @property
    def original_path(self) -> str:
        """The path as written in the source."""
        return self._original_path

    @property
    def creating_file(self) -> str:
        """The source file the path is relative to."""
        return self._creating_file

    @property
    def abs_path(self) -> str:
        """The absolute path; raises ``FileNotFoundError`` when nothing is there."""
        path = Path(self._abs_path)
        if not (path.is_file() or (path.is_dir() and any(path.iterdir()))):
            raise FileNotFoundError(
                f"`make_abs_path_here({self._original_path!r})` in `{self._creating_file}` "
                f"points to `{self._abs_path}`, but there is no file or non-empty folder there"
            )
        return self._abs_path

    def __fspath__(self) -> str:
        return self._abs_path

    def __repr__(self) -> str:
        return f"AbsPath({self._abs_path!r}, from {self._original_path!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AbsPath) and other._abs_path == self._abs_path

    def __hash__(self) -> int:
        return hash(self._abs_path)


def make_abs_path_here(file_path: str) -> AbsPath:
    """Make ``file_path`` absolute against the folder of the *calling* source file.

    Call it directly in the module that names the path (typically inside a
    ``RemoteConfig``); a helper function wrapping it would resolve the path against
    the helper's own file instead.
    """
    if not isinstance(file_path, str):
        raise ChainsUsageError(
            f"make_abs_path_here expects the path as a str, got {type(file_path).__name__}"
        )
    caller = sys._getframe(1)
    creating_file = caller.f_code.co_filename
    if os.path.isabs(file_path):
        return AbsPath(os.path.normpath(file_path), creating_file, file_path)
    if creating_file.startswith("<") and creating_file.endswith(">"):
        raise ChainsUsageError(
            f"make_abs_path_here({file_path!r}) was called from `{creating_file}`, which is "
            "not a source file, so there is no folder to resolve the relative path against; "
            "call it in a module file or give an absolute path"
        )
    folder = os.path.dirname(os.path.abspath(creating_file))
    return AbsPath(os.path.normpath(os.path.join(folder, file_path)), creating_file, file_path)
