"""``chains-build lock``: each chainlet's packages resolved once, so a tag means one set of them.

``chains-build lock CHAIN`` resolves every chainlet's requirements (the runtime's, with their
exact pins, and the chainlet's, with the torch build its base image was chosen for) for the
image's Python version and platform (``x86_64-manylinux_2_28``) with ``uv pip compile``, and
writes one lock file per chainlet to ``chains-lock/<chainlet>.txt`` beside the chain file:
commit them. ``chains-build CHAIN -o OUT`` then copies a chainlet's lock file into its
context as ``requirements.lock`` and the Dockerfile installs exactly those versions. A lock
records a digest of what it was resolved from; when the requirements, the Python version or
the base image's torch choice change, the build stops and asks to lock again, so a stale lock
is never installed silently.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from chains_build.errors import BuildError
from chains_build.plan import ChainletPlan, ChainPlan
from chains_build.python_env import CONSTRAINTS
from chains_build.torch_builds import torch_backend

LOCK_FOLDER = "chains-lock"
PLATFORM = "x86_64-manylinux_2_28"
"""The platform locks are resolved for: the images' (glibc 2.28 or newer, x86_64)."""
_DIGEST_PREFIX = "# inputs: sha256:"
LOCK_TIMEOUT_SEC = 600.0


@dataclass(frozen=True)
class LockInputs:
    """What a chainlet's packages are resolved from: file name -> text, in install order."""

    files: tuple[tuple[str, str], ...]
    python_version: str
    index: str | None

    @property
    def digest(self) -> str:
        digest = hashlib.sha256()
        for part in (self.python_version, PLATFORM, self.index or ""):
            digest.update(part.encode("utf-8") + b"\0")
        for name, text in self.files:
            digest.update(name.encode("utf-8") + b"\0" + text.encode("utf-8") + b"\0")
        return digest.hexdigest()


def lock_path(project: Path, plan: ChainPlan, chainlet: ChainletPlan) -> Path:
    """``chains-lock/<display name>.txt`` beside the chain file."""
    chain_folder = project.joinpath(*PurePosixPath(plan.source).parent.parts)
    return chain_folder / LOCK_FOLDER / f"{chainlet.display_name}.txt"


def read_lock(path: Path, inputs: LockInputs, chain_source: str) -> bytes | None:
    """The lock file's bytes when it exists and matches ``inputs``; a BuildError when stale."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise BuildError(f"cannot read {path}: {exc.strerror or exc}") from exc
    first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
    if first != f"{_DIGEST_PREFIX}{inputs.digest}":
        raise BuildError(
            f"{path} is stale: the chainlet's requirements, Python version or torch build "
            f"changed since it was written; run: chains-build lock {chain_source}"
        )
    return data


def uv_binary() -> str:
    """The uv that resolves locks: the one installed with this package (a dependency)."""
    try:
        from uv import find_uv_bin
    except ImportError:
        raise BuildError(
            "uv is not installed, which chains-build lock needs; install it (pip install uv)"
        ) from None
    try:
        return str(find_uv_bin())
    except FileNotFoundError:
        raise BuildError("the uv package has no uv binary; reinstall it (pip install uv)") from None


def resolve(inputs: LockInputs, chain_source: str) -> str:
    """The lock file's text for ``inputs``, resolved by ``uv pip compile``."""
    with tempfile.TemporaryDirectory(prefix="chains-lock-") as folder:
        for name, text in inputs.files:
            Path(folder, name).write_text(text, encoding="utf-8")
        command = [
            uv_binary(),
            "pip",
            "compile",
            "--quiet",
            "--no-header",
            "--python-version",
            inputs.python_version,
            "--python-platform",
            PLATFORM,
            "-c",
            CONSTRAINTS,
            *(name for name, _ in inputs.files if name != CONSTRAINTS),
        ]
        if inputs.index is not None:
            command += ["--torch-backend", torch_backend(inputs.index)]
        environment = {**os.environ, "UV_NO_CONFIG": "1"}
        try:
            done = subprocess.run(
                command,
                cwd=folder,
                capture_output=True,
                text=True,
                timeout=LOCK_TIMEOUT_SEC,
                env=environment,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BuildError(
                f"uv pip compile did not finish in {LOCK_TIMEOUT_SEC:.0f} s; is the package "
                "index reachable?"
            ) from None
    if done.returncode != 0:
        detail = done.stderr.strip().splitlines()
        raise BuildError(
            "cannot resolve the requirements: "
            + (" / ".join(line.strip() for line in detail[-6:]) or f"uv exit {done.returncode}")
        )
    return (
        f"{_DIGEST_PREFIX}{inputs.digest}\n"
        f"# Resolved by chains-build lock (uv pip compile, Python {inputs.python_version}, "
        f"{PLATFORM}); regenerate with: chains-build lock {chain_source}\n" + done.stdout
    )


def write_locks(
    locks: list[tuple[Path, LockInputs]], chain_source: str, report: Callable[[str], None]
) -> None:
    for path, inputs in locks:
        text = resolve(inputs, chain_source)
        try:
            path.parent.mkdir(exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise BuildError(f"cannot write {path}: {exc.strerror or exc}") from exc
        count = sum(1 for line in text.splitlines() if line and not line.startswith(("#", " ")))
        report(f"{path}: {count} packages")
