"""One Docker build context per chainlet: its files, its content hash and its image tag.

A context is a list of entries, generated text or a file to copy, at POSIX paths that mirror
the image's ``/app`` (plus the Dockerfile and requirements files). The context's content hash
(sorted paths, file modes and bytes) tags its image, ``chains/<slug>:<12 hex digits>``, so the
same chain gives the same tags on every machine and any change gives a new one. Writing sets
file modes explicitly (0644, or 0755 for executables), so the images do not depend on umask.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from dataclasses import dataclass, replace
from pathlib import Path

from chains_build.dockerfile import (
    RUNTIME_REQUIREMENTS,
    SERVER_MODULE,
    USER_REQUIREMENTS,
    render_dockerfile,
)
from chains_build.errors import BuildError
from chains_build.lock import LockInputs, lock_path, read_lock
from chains_build.plan import ChainletPlan, ChainPlan
from chains_build.planner import PlannedChain
from chains_build.python_env import (
    CONSTRAINTS,
    INSTALL_UV_SCRIPT,
    LOCK_FILE,
    constraints_text,
    install_uv_script,
)
from chains_build.runtime_constraints import runtime_constraints
from chains_build.runtime_package import runtime_files, runtime_requirements
from chains_build.server_module import render_server_module
from chains_build.sources import walk_files

TAG_LENGTH = 12
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ContextEntry:
    path: str
    """POSIX path relative to the context folder."""
    content: bytes | None = None
    """Generated content; None when the entry copies ``source``."""
    source: Path | None = None
    executable: bool = False


@dataclass(frozen=True)
class BuildContext:
    chainlet: ChainletPlan
    """The chainlet's plan, with its image tagged by ``digest``."""
    folder: str
    """The context's folder name in the output: the chainlet's display name."""
    entries: tuple[ContextEntry, ...]
    digest: str
    """SHA-256 of the context, hex."""


def build_contexts(
    planned: PlannedChain, *, registry: str | None = None
) -> tuple[ChainPlan, list[BuildContext]]:
    """The contexts of every chainlet, and the plan with each image tagged by its context
    (``REGISTRY/chains/...`` when the images are pushed to ``registry``)."""
    prefix = f"{registry}/" if registry else ""
    plan = planned.plan
    runtime = [_copied(path, source) for path, source in runtime_files()]
    requirements = _text("".join(f"{line}\n" for line in runtime_requirements()))
    contexts = []
    for planned_chainlet in plan.chainlets:
        inputs = lock_inputs(planned, planned_chainlet, requirements.decode("utf-8"))
        lock = read_lock(lock_path(planned.project, plan, planned_chainlet), inputs, plan.source)
        chainlet = replace(planned_chainlet, locked=lock is not None)
        entries = _entries(planned, chainlet, runtime, requirements)
        if lock is not None:
            entries = tuple(sorted((*entries, ContextEntry(LOCK_FILE, lock)), key=_path))
        digest = context_digest(entries)
        image = f"{prefix}chains/{chainlet.slug}:{digest[:TAG_LENGTH]}"
        tagged = replace(chainlet, image=image)
        contexts.append(BuildContext(tagged, chainlet.display_name, entries, digest))
    final = replace(plan, chainlets=tuple(context.chainlet for context in contexts))
    return final, contexts


def _entries(
    planned: PlannedChain,
    chainlet: ChainletPlan,
    runtime: list[ContextEntry],
    runtime_requirements_text: bytes,
) -> tuple[ContextEntry, ...]:
    plan = planned.plan
    sources = planned.sources[chainlet.class_name]
    entries = [
        ContextEntry("Dockerfile", _text(render_dockerfile(plan, chainlet))),
        ContextEntry(RUNTIME_REQUIREMENTS, runtime_requirements_text),
        ContextEntry(
            CONSTRAINTS, _text(constraints_text(runtime_constraints(), chainlet))
        ),
        *(
            [ContextEntry(INSTALL_UV_SCRIPT, _text(install_uv_script()))]
            if chainlet.base_image.has_python
            else []
        ),
        ContextEntry(SERVER_MODULE, _text(render_server_module(plan, chainlet))),
        *runtime,
    ]
    if chainlet.pip_requirements:
        lines = "".join(f"{requirement}\n" for requirement in chainlet.pip_requirements)
        entries.append(ContextEntry(USER_REQUIREMENTS, _text(lines)))
    if chainlet.pip_requirements_file is not None and sources.requirements_file is not None:
        entries.append(_copied(chainlet.pip_requirements_file, sources.requirements_file))
    entries += [_copied(module.destination, module.path) for module in sources.modules]
    for folder in (sources.data_dir, *sources.package_dirs):
        if folder is not None:
            entries += [
                _copied(f"{folder.destination}/{relative}", path)
                for relative, path in walk_files(folder.path)
            ]
    # A module inside the data folder is listed twice, from the same file: keep one.
    unique = {entry.path: entry for entry in reversed(entries)}
    return tuple(sorted(unique.values(), key=lambda entry: entry.path))


def lock_inputs(
    planned: PlannedChain, chainlet: ChainletPlan, runtime_text: str | None = None
) -> LockInputs:
    """What ``chains-build lock`` resolves for ``chainlet``, and what its lock must match
    (``runtime_text``: ``requirements-runtime.txt``, when already known)."""
    if runtime_text is None:
        runtime_text = "".join(f"{line}\n" for line in runtime_requirements())
    files = [
        (CONSTRAINTS, constraints_text(runtime_constraints(), chainlet)),
        (RUNTIME_REQUIREMENTS, runtime_text),
    ]
    if chainlet.pip_requirements:
        lines = "".join(f"{requirement}\n" for requirement in chainlet.pip_requirements)
        files.append((USER_REQUIREMENTS, lines))
    source = planned.sources[chainlet.class_name].requirements_file
    if chainlet.pip_requirements_file is not None and source is not None:
        try:
            files.append((chainlet.pip_requirements_file, source.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            raise BuildError(f"cannot read {source}: {exc}") from exc
    return LockInputs(
        tuple(files), planned.plan.python_version, chainlet.base_image.package_index
    )


def _path(entry: ContextEntry) -> str:
    return entry.path


def _text(text: str) -> bytes:
    return text.encode("utf-8")


def _copied(path: str, source: Path) -> ContextEntry:
    try:
        mode = source.stat().st_mode
    except OSError as exc:
        raise BuildError(f"cannot read {source}: {exc.strerror or exc}") from exc
    return ContextEntry(path, source=source, executable=bool(mode & stat.S_IXUSR))


def context_digest(entries: tuple[ContextEntry, ...]) -> str:
    digest = hashlib.sha256()
    for entry in entries:
        digest.update(entry.path.encode("utf-8") + b"\0")
        digest.update(b"x\0" if entry.executable else b"-\0")
        if entry.content is not None:
            digest.update(str(len(entry.content)).encode() + b"\0" + entry.content)
        else:
            assert entry.source is not None
            digest.update(b"file\0")
            try:
                with entry.source.open("rb") as stream:
                    while chunk := stream.read(_CHUNK):
                        digest.update(chunk)
            except OSError as exc:
                raise BuildError(f"cannot read {entry.source}: {exc.strerror or exc}") from exc
        digest.update(b"\0")
    return digest.hexdigest()


def write_context(context: BuildContext, folder: Path) -> None:
    """Write the context's files below ``folder`` (which must not exist yet)."""
    folder.mkdir()
    os.chmod(folder, 0o755)
    made = {folder}
    for entry in context.entries:
        target = folder.joinpath(*entry.path.split("/"))
        for parent in reversed(target.parents):
            if parent not in made and parent.is_relative_to(folder):
                parent.mkdir(exist_ok=True)
                os.chmod(parent, 0o755)
                made.add(parent)
        if entry.content is not None:
            target.write_bytes(entry.content)
        else:
            assert entry.source is not None
            shutil.copyfile(entry.source, target)
        os.chmod(target, 0o755 if entry.executable else 0o644)
