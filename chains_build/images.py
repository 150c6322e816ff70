"""``--images`` and ``--push``: build every context with the Docker SDK, tag it, push it.

Each image is tagged with the reference the plan gives it (``chains/<slug>:<content hash>``,
or ``REGISTRY/chains/<slug>:<content hash>`` with ``--push``), so docker-compose.yaml and the
Kubernetes manifests name exactly what was built. Progress goes line by line to ``report``,
each line prefixed with the chainlet's slug.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from chains_build.errors import BuildError
from chains_build.plan import ChainPlan

Report = Callable[[str], None]

_REGISTRY = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]+)?(?:/[a-z0-9][a-z0-9._-]*)*")


def check_registry(registry: str) -> str:
    """``--push REGISTRY``: a registry host (with port and path), e.g. ``localhost:5000/team``."""
    registry = registry.rstrip("/")
    if not _REGISTRY.fullmatch(registry):
        raise BuildError(
            f"--push {registry!r}: give a registry such as localhost:5000 or "
            "registry.example.com/team"
        )
    return registry


def docker_client() -> Any:
    """A client of the Docker daemon the environment names (DOCKER_HOST), checked to answer."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env()
        client.ping()
    except DockerException as exc:
        raise BuildError(
            f"no Docker daemon is reachable ({_first_line(exc)}): start Docker, or set "
            "DOCKER_HOST; the build contexts are written and can be built without --images"
        ) from None
    return client


def build_images(plan: ChainPlan, out: Path, report: Report, *, push: bool) -> None:
    """Build (and with ``push`` push) the image of every chainlet from ``out/<context>``."""
    client = docker_client()
    for chainlet in plan.chainlets:
        report(f"[{chainlet.slug}] building {chainlet.image}")
        stream = client.api.build(
            path=str(out / chainlet.display_name),
            tag=chainlet.image,
            rm=True,
            forcerm=True,
            decode=True,
        )
        _follow(stream, chainlet.slug, report, f"building the image of `{chainlet.class_name}`")
        if push:
            repository, _, tag = chainlet.image.rpartition(":")
            report(f"[{chainlet.slug}] pushing {chainlet.image}")
            pushed = client.api.push(repository, tag=tag, stream=True, decode=True)
            registry = repository.split("/")[0]
            _follow(
                pushed,
                chainlet.slug,
                report,
                f"pushing {chainlet.image}",
                hint=f"check that {registry} answers and that `docker login {registry}` was done",
            )


def _follow(
    stream: Iterable[Mapping[str, Any]], slug: str, report: Report, doing: str, hint: str = ""
) -> None:
    """Report a build or push stream; a BuildError for the error the daemon sends."""
    from docker.errors import DockerException

    def failed(error: object) -> BuildError:
        return BuildError(f"{doing} failed: {_first_line(error)}{f'; {hint}' if hint else ''}")

    try:
        for event in stream:
            error = event.get("error") or (event.get("errorDetail") or {}).get("message")
            if error:
                raise failed(error)
            text = event.get("stream") or event.get("status")
            if isinstance(text, str) and text.strip():
                report(f"[{slug}] {text.strip()}")
    except DockerException as exc:
        raise failed(exc) from None


def _first_line(error: object) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__
