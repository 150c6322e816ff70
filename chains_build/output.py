"""Writing the output folder all at once, or not at all.

Everything is written into a fresh temporary folder next to OUT; only when that succeeded is
it renamed to OUT, replacing a previous build's output. A failure on the way removes the
temporary folder and leaves OUT as it was. An existing OUT that is neither empty nor a
previous chains-build output (no ``chain.json`` of ours) is refused, never deleted.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from chains_build.chain_json import is_chain_json
from chains_build.errors import BuildError

MARKER = "chain.json"

DEPLOYER_FILES = (".env", "secrets")
"""What the deployer puts into OUT (docs/deploy.md): a rebuild carries them over, untouched."""


def check_replaceable(out: Path) -> None:
    """Refuse an OUT that holds something other than a previous build."""
    if not out.exists() and not out.is_symlink():
        return
    if out.is_symlink() or not out.is_dir():
        raise BuildError(f"{out} exists and is not a folder; choose another output folder")
    if not any(out.iterdir()):
        return
    marker = out / MARKER
    try:
        ours = marker.is_file() and is_chain_json(marker.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        ours = False
    if not ours:
        raise BuildError(
            f"{out} exists and is not a chains-build output (it has no {MARKER} written by "
            "chains-build); choose another output folder or empty it"
        )


def write_atomically(out: Path, fill: Callable[[Path], None]) -> None:
    """Call ``fill(folder)`` on an empty temporary folder, then make that folder ``out``."""
    out = Path(os.path.abspath(out))
    check_replaceable(out)
    # The parent folders this call creates go again when it fails: nothing is left behind.
    created = [folder for folder in (out.parent, *out.parent.parents) if not folder.exists()]
    try:
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
        except OSError as exc:
            raise BuildError(f"cannot write next to {out}: {exc.strerror or exc}") from exc
        try:
            os.chmod(staging, 0o755)
            fill(staging)
            _replace(staging, out)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except BaseException:
        for folder in created:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _replace(staging: Path, out: Path) -> None:
    if not out.exists():
        os.rename(staging, out)
        return
    previous = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
    os.rename(out, previous / "out")
    carried = _carry_over(previous / "out", staging)
    try:
        os.rename(staging, out)
    except BaseException:
        _carry_over(staging, previous / "out", carried)
        os.rename(previous / "out", out)
        shutil.rmtree(previous, ignore_errors=True)
        raise
    shutil.rmtree(previous, ignore_errors=True)


def _carry_over(
    source: Path, target: Path, names: tuple[str, ...] = DEPLOYER_FILES
) -> tuple[str, ...]:
    """Move the deployer's files from ``source`` to ``target``; the names that were moved."""
    moved = []
    for name in names:
        if (source / name).exists() and not (target / name).exists():
            os.rename(source / name, target / name)
            moved.append(name)
    return tuple(moved)
