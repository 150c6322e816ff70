"""Build a chain into images with chains-build and run it in containers with docker-compose.

The end-to-end tests and the container benchmarks share this module; it does not need pytest::

    from tests.e2e.compose_chain import build_chain, compose_chain, docker_problem

    problem = docker_problem()            # None, or why Docker cannot be used here
    built = build_chain(Path("examples/hello/chain.py"), workdir / "hello")
    with compose_chain(built) as chain:   # docker-compose -p <unique> up -d, waits for /readyz
        response = chain.call({"names": ["Ada"]})         # an httpx.Response
        chain.stop("SayHello")                            # chainlets by class name
        chain.start("SayHello")
        print(chain.logs("SayHello", tail=50))
    # here every container, network and volume of the project is gone

``build_chain`` runs ``chains-build CHAIN -o OUT --base-image <local base> --images --port N``
(a free host port), so the images are tagged by content: building an unchanged chain again
is a cache hit. chains-build itself writes ``OUT/.env`` with a random service token, so
``compose_chain`` writes no ``.env``: it writes one file per declared secret in
``OUT/secrets/``, starts the generated docker-compose.yaml under a unique project name with
Debian's docker-compose 1.29 (what CI has), waits until the entrypoint's ``/readyz`` answers
200, and on the way out always runs ``down -v --remove-orphans`` (removing the containers by
label if that fails) and deletes the secret files. A token or API key given to it is passed to
Compose in the environment, which wins over ``.env``. One running project per built folder at
a time.

Every failure is a ``ComposeChainError`` whose message says what failed and, once containers
exist, ends with the tail of ``docker-compose logs``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets as token_source
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

BASE_IMAGE = os.environ.get("CHAINS_BASE_IMAGE", "chains-base:bookworm")
"""The local base image ``scripts/setup-docker.sh`` builds (no registry is reachable in CI)."""
COMPOSE_V1 = "/usr/bin/docker-compose"
"""Debian's docker-compose 1.29, the Compose CI has."""
SERVICE_TOKEN_ENV = "CHAINS_SERVICE_TOKEN"
API_KEY_ENV = "CHAINS_API_KEY"
SERVICE_TOKEN_HEADER = "x-chains-service-token"
API_KEY_HEADER = "x-api-key"
BUILD_TIMEOUT_SEC = 900.0
READY_TIMEOUT_SEC = 180.0
COMMAND_TIMEOUT_SEC = 180.0
LOG_TAIL_LINES = 40
_POLL_SEC = 0.2


class ComposeChainError(RuntimeError):
    """Building, starting, driving or stopping a chain in containers failed."""


# --- is Docker usable here? ---------------------------------------------------------------------


def docker_command() -> str | None:
    """The ``docker`` CLI on PATH, or None."""
    return shutil.which("docker")


def compose_command() -> list[str] | None:
    """Debian's ``docker-compose`` 1.29 (the Python one), or None."""
    found = COMPOSE_V1 if Path(COMPOSE_V1).is_file() else shutil.which("docker-compose")
    return [found] if found else None


def docker_problem(base_image: str = BASE_IMAGE) -> str | None:
    """None when the docker CLI, docker-compose, a daemon and ``base_image`` are all there;
    otherwise one line saying what is missing and how to get it."""
    fix = "run scripts/setup-docker.sh (as root) to provision Docker and the base image"
    docker = docker_command()
    if docker is None:
        return f"the docker CLI is not on PATH: {fix}"
    if compose_command() is None:
        return f"docker-compose 1.29 is not installed (apt package docker-compose): {fix}"
    info = _run([docker, "info", "--format", "{{.ServerVersion}}"], timeout=30)
    if info.returncode != 0:
        return f"no Docker daemon answers ({_last_line(info.stderr)}): {fix}"
    image = _run([docker, "image", "inspect", base_image], timeout=30)
    if image.returncode != 0:
        return f"the local base image {base_image} is missing: {fix}"
    return None


# --- building ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Chainlet:
    """One chainlet of a built chain, as chain.json describes it."""

    class_name: str
    service: str
    """The compose service (the chainlet's slug), also its host name on the chain's network."""
    image: str
    port: int
    is_entrypoint: bool
    is_streaming: bool
    secret_keys: tuple[str, ...]


@dataclass(frozen=True)
class BuiltChain:
    """The output folder of ``chains-build --images`` and what its chain.json says."""

    chain_file: Path
    out: Path
    """The folder holding docker-compose.yaml, one build context per chainlet, and chain.json."""
    host_port: int
    """The host port docker-compose publishes the entrypoint on."""
    chainlets: tuple[Chainlet, ...]
    build_seconds: float
    """How long ``chains-build --images`` took (a rebuild of unchanged code is a cache hit)."""

    @property
    def entrypoint(self) -> Chainlet:
        return next(chainlet for chainlet in self.chainlets if chainlet.is_entrypoint)

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """Every secret key a chainlet declares, sorted, once each."""
        return tuple(sorted({key for c in self.chainlets for key in c.secret_keys}))

    @property
    def images(self) -> tuple[str, ...]:
        return tuple(chainlet.image for chainlet in self.chainlets)

    def chainlet(self, class_name: str) -> Chainlet:
        for chainlet in self.chainlets:
            if chainlet.class_name == class_name:
                return chainlet
        names = ", ".join(c.class_name for c in self.chainlets)
        raise ComposeChainError(f"the chain has no chainlet {class_name!r} (it has {names})")

    def context(self, class_name: str) -> Path:
        """The Docker build context folder of a chainlet."""
        return self.out / self._contexts()[class_name]

    def _contexts(self) -> dict[str, str]:
        document = json.loads((self.out / "chain.json").read_text(encoding="utf-8"))
        return {item["class_name"]: item["context"] for item in document["chainlets"]}


def free_port() -> int:
    """A TCP port nothing listens on right now (the kernel's choice)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def chains_build_command() -> list[str]:
    """The installed ``chains-build`` script beside this Python, or ``python -m`` of it."""
    script = Path(sys.executable).with_name("chains-build")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "chains_build.cli"]


def build_chain(
    chain_file: Path,
    out: Path,
    *,
    base_image: str = BASE_IMAGE,
    host_port: int | None = None,
    timeout_sec: float = BUILD_TIMEOUT_SEC,
) -> BuiltChain:
    """``chains-build CHAIN -o OUT --base-image BASE --images --port N``; what it built.

    ``host_port`` defaults to a free port, so several chains can run side by side.
    """
    port = host_port if host_port is not None else free_port()
    command = [
        *chains_build_command(),
        str(chain_file),
        "-o",
        str(out),
        "--base-image",
        base_image,
        "--images",
        "--port",
        str(port),
    ]
    started = time.monotonic()
    result = _run(command, timeout=timeout_sec, env=_without_chains_variables())
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise ComposeChainError(
            f"chains-build {chain_file} failed (exit {result.returncode}):\n"
            + _tail(result.stdout + result.stderr, LOG_TAIL_LINES)
        )
    document = json.loads((out / "chain.json").read_text(encoding="utf-8"))
    chainlets = tuple(
        Chainlet(
            class_name=item["class_name"],
            service=item["slug"],
            image=item["image"],
            port=item["port"],
            is_entrypoint=item["is_entrypoint"],
            is_streaming=item["is_streaming"],
            secret_keys=tuple(item["secrets"]),
        )
        for item in document["chainlets"]
    )
    return BuiltChain(
        chain_file=chain_file,
        out=out,
        host_port=document["host_port"],
        chainlets=chainlets,
        build_seconds=seconds,
    )


# --- running -------------------------------------------------------------------------------------


@dataclass
class RunningChain:
    """A chain started by ``compose_chain``: its entrypoint URL and ways to drive it."""

    built: BuiltChain
    project: str
    """The compose project name (``-p``): by default ``e2e<pid><8 hex digits>``, unique."""
    token: str
    """The service token the chainlets share (internal chainlets require it): the one
    chains-build wrote to ``.env``, or the one given to ``compose_chain``."""
    url: str
    """The entrypoint's base URL on the host, e.g. ``http://127.0.0.1:8000``."""
    environment: dict[str, str] = dataclasses.field(default_factory=dict)
    """``CHAINS_SERVICE_TOKEN`` / ``CHAINS_API_KEY`` given to ``compose_chain``, passed to every
    docker-compose command (the environment wins over ``.env``)."""

    @property
    def run_remote_url(self) -> str:
        return f"{self.url}/run_remote"

    # HTTP to the entrypoint ----------------------------------------------------------------

    def call(
        self,
        arguments: Mapping[str, Any] | None = None,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_sec: float = 60.0,
    ) -> httpx.Response:
        """``POST /run_remote`` with ``arguments`` as JSON (or the raw ``body``); the response,
        whatever its status."""
        content = body if body is not None else json.dumps(dict(arguments or {})).encode()
        with _http(timeout_sec) as client:
            return client.post(
                self.run_remote_url,
                content=content,
                headers={"content-type": "application/json", **(headers or {})},
            )

    def stream(
        self, arguments: Mapping[str, Any], *, timeout_sec: float = 60.0
    ) -> tuple[int, str, list[Any]]:
        """``POST /run_remote`` to a streaming entrypoint: (status, content type, the NDJSON
        frames as parsed JSON, in order)."""
        with (
            _http(timeout_sec) as client,
            client.stream(
                "POST",
                self.run_remote_url,
                json=dict(arguments),
                headers={"accept": "application/x-ndjson"},
            ) as response,
        ):
            frames = [json.loads(line) for line in response.iter_lines() if line.strip()]
            return response.status_code, response.headers.get("content-type", ""), frames

    def ready(self) -> bool:
        """True when the entrypoint's ``/readyz`` answers 200 now; False while it is not up
        or still loading; a ComposeChainError (with the logs) when its ``__init__`` failed."""
        try:
            with _http(5.0) as client:
                response = client.get(f"{self.url}/readyz")
        except httpx.HTTPError:
            return False
        if response.status_code == 503 and b'"failed"' in response.content:
            raise ComposeChainError(
                f"the entrypoint {self.built.entrypoint.class_name} failed to start (its "
                "__init__ raised)" + self._logs_note()
            )
        return response.status_code == 200

    # containers -------------------------------------------------------------------------------

    def compose(self, *args: str, timeout_sec: float = COMMAND_TIMEOUT_SEC) -> (
        subprocess.CompletedProcess[str]
    ):
        """``docker-compose -p PROJECT ARGS`` in the build folder; the finished process."""
        return _compose(
            self.built.out, self.project, list(args), timeout=timeout_sec, extra=self.environment
        )

    def container_id(self, class_name: str) -> str:
        """The id of the chainlet's container (it survives stop and start)."""
        service = self.built.chainlet(class_name).service
        result = self._checked(self.compose("ps", "-q", service), f"ps {service}")
        found = result.stdout.strip()
        if not found:
            raise ComposeChainError(f"no container for service {service}" + self._logs_note())
        return found.splitlines()[0]

    def inspect(self, class_name: str) -> dict[str, Any]:
        """``docker inspect`` of the chainlet's container."""
        container = self.container_id(class_name)
        result = self._checked(_run([_docker(), "inspect", container]), f"inspect {container}")
        found: list[dict[str, Any]] = json.loads(result.stdout)
        return found[0]

    def stop(self, class_name: str, *, grace_sec: int = 10) -> None:
        """``docker-compose stop -t GRACE SERVICE``: SIGTERM, then SIGKILL after ``grace_sec``
        (0 stops it at once, like a crash). A stopped container is not restarted by Docker."""
        service = self.built.chainlet(class_name).service
        self._checked(self.compose("stop", "-t", str(grace_sec), service), f"stop {service}")

    def start(self, class_name: str) -> None:
        """``docker-compose start SERVICE``: the same container again (see ``wait_healthy``)."""
        service = self.built.chainlet(class_name).service
        self._checked(self.compose("start", service), f"start {service}")

    def health(self, class_name: str) -> str:
        """Docker's health status of the chainlet's container (``healthy``, ``starting``, ...)
        or its state (``exited``, ...) when it is not running."""
        state = self.inspect(class_name)["State"]
        if not state.get("Running"):
            return str(state.get("Status", "unknown"))
        return str((state.get("Health") or {}).get("Status", "none"))

    def wait_healthy(self, class_name: str, *, timeout_sec: float = READY_TIMEOUT_SEC) -> None:
        """Wait until Docker reports the chainlet's container healthy."""
        self.wait_for(
            lambda: self.health(class_name) == "healthy",
            f"{class_name} to become healthy",
            timeout_sec=timeout_sec,
        )

    def exec(
        self, class_name: str, command: Sequence[str], *, timeout_sec: float = 60.0
    ) -> subprocess.CompletedProcess[str]:
        """``docker exec CONTAINER COMMAND`` (as the image's user); the finished process."""
        container = self.container_id(class_name)
        return _run([_docker(), "exec", container, *command], timeout=timeout_sec)

    def logs(self, class_name: str | None = None, *, tail: int = LOG_TAIL_LINES) -> str:
        """The last ``tail`` lines per container of ``docker-compose logs`` (one chainlet's or
        all)."""
        services = [self.built.chainlet(class_name).service] if class_name else []
        result = self.compose("logs", "--no-color", "--tail", str(tail), *services)
        return result.stdout + result.stderr

    def wait_for(
        self, condition: Callable[[], bool], what: str, *, timeout_sec: float = READY_TIMEOUT_SEC
    ) -> None:
        """Poll ``condition`` until it holds; a ComposeChainError with the logs after
        ``timeout_sec``."""
        deadline = time.monotonic() + timeout_sec
        while not condition():
            if time.monotonic() > deadline:
                raise ComposeChainError(
                    f"timed out after {timeout_sec:g} s waiting for {what}" + self._logs_note()
                )
            time.sleep(_POLL_SEC)

    def _checked(
        self, result: subprocess.CompletedProcess[str], doing: str
    ) -> subprocess.CompletedProcess[str]:
        if result.returncode != 0:
            raise ComposeChainError(
                f"docker-compose {doing} failed (exit {result.returncode}): "
                f"{_last_line(result.stderr)}" + self._logs_note()
            )
        return result

    def _logs_note(self) -> str:
        return f"\n--- docker-compose logs (project {self.project}):\n{self.logs()}"


@contextlib.contextmanager
def compose_chain(
    built: BuiltChain,
    *,
    secrets: Mapping[str, str] | None = None,
    token: str | None = None,
    api_key: str | None = None,
    project: str | None = None,
    ready_timeout_sec: float = READY_TIMEOUT_SEC,
) -> Iterator[RunningChain]:
    """Start ``built`` with its docker-compose.yaml and yield it once the entrypoint is ready.

    ``secrets`` gives the value of every secret key the chain declares (no more, no less);
    each is written to ``secrets/<key>``, readable by the containers' user. ``token`` is the
    service token (default: the one chains-build wrote to ``OUT/.env``). ``api_key``, when
    given, is set as ``CHAINS_API_KEY`` so the entrypoint requires it. ``project`` defaults to
    a unique name.
    Everything is torn down on the way out, also when starting failed.
    """
    given = dict(secrets or {})
    if sorted(given) != list(built.secret_keys):
        raise ComposeChainError(
            f"the chain declares the secrets {list(built.secret_keys)}, but values were given "
            f"for {sorted(given)}: pass exactly the declared keys"
        )
    name = project or f"e2e{os.getpid()}{token_source.token_hex(4)}"
    environment = {SERVICE_TOKEN_ENV: token} if token is not None else {}
    if api_key is not None:
        environment[API_KEY_ENV] = api_key
    running = RunningChain(
        built=built,
        project=name,
        token=token if token is not None else env_file_token(built.out),
        url=f"http://127.0.0.1:{built.host_port}",
        environment=environment,
    )
    secrets_dir = built.out / "secrets"
    try:
        _write_secrets(secrets_dir, given)
        up = running.compose("up", "-d", "--no-build", timeout_sec=ready_timeout_sec)
        running._checked(up, "up -d")
        running.wait_for(running.ready, "the entrypoint's /readyz", timeout_sec=ready_timeout_sec)
        yield running
    finally:
        _tear_down(built.out, name, environment)
        shutil.rmtree(secrets_dir, ignore_errors=True)


def env_file_token(out: Path) -> str:
    """The service token chains-build wrote to ``OUT/.env``."""
    try:
        lines = (out / ".env").read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ComposeChainError(f"chains-build wrote no {out / '.env'}: {exc}") from None
    for line in lines:
        name, _, value = line.partition("=")
        if name.strip() == SERVICE_TOKEN_ENV and value.strip():
            return value.strip()
    raise ComposeChainError(f"{out / '.env'} holds no {SERVICE_TOKEN_ENV}")


def _write_secrets(folder: Path, values: Mapping[str, str]) -> None:
    """One file per key; bind-mounted as they are, so mode 0644 for uid 10001 to read them."""
    if not values:
        return
    folder.mkdir(exist_ok=True)
    for key, value in values.items():
        path = folder / key
        path.write_text(value, encoding="utf-8")
        path.chmod(0o644)


def _tear_down(folder: Path, project: str, environment: Mapping[str, str]) -> None:
    """``down -v --remove-orphans``; if that fails, remove what carries the project's label."""
    result = _compose(
        folder, project, ["down", "-v", "--remove-orphans", "-t", "5"], extra=environment
    )
    if result.returncode == 0:
        return
    sys.stderr.write(f"compose_chain: down failed, removing project {project} by label\n")
    label = f"label=com.docker.compose.project={project}"
    docker = _docker()
    for kind, remove in (("ps", ["rm", "-f", "-v"]), ("network", ["network", "rm"])):
        listing = [docker, kind, "-aq", "--filter", label] if kind == "ps" else [
            docker, "network", "ls", "-q", "--filter", label
        ]
        found = _run(listing).stdout.split()
        if found:
            _run([docker, *remove, *found])


# --- processes -----------------------------------------------------------------------------------


def _compose(
    folder: Path,
    project: str,
    args: list[str],
    *,
    timeout: float = COMMAND_TIMEOUT_SEC,
    extra: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    command = compose_command()
    if command is None:
        raise ComposeChainError("docker-compose is not installed: run scripts/setup-docker.sh")
    return _run(
        [*command, "-p", project, "-f", str(folder / "docker-compose.yaml"), *args],
        cwd=folder,
        timeout=timeout,
        env={**_without_chains_variables(), **(extra or {})},
    )


def _docker() -> str:
    docker = docker_command()
    if docker is None:
        raise ComposeChainError("the docker CLI is not on PATH: run scripts/setup-docker.sh")
    return docker


def _run(
    command: list[str],
    *,
    cwd: Path | None = None,
    timeout: float = COMMAND_TIMEOUT_SEC,
    env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` to its end; a ComposeChainError naming it when it outlives ``timeout``."""
    try:
        return subprocess.run(
            command,
            cwd=cwd,
            env=None if env is None else dict(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ComposeChainError(
            f"`{' '.join(command[:4])} ...` did not finish within {timeout:g} s"
        ) from None


def _without_chains_variables() -> dict[str, str]:
    """This environment without CHAINS_* (Compose would prefer them to ``.env``)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}


def _http(timeout_sec: float) -> httpx.Client:
    # No proxy from the environment: the chain is on this machine.
    return httpx.Client(timeout=timeout_sec, trust_env=False)


def _tail(text: str, lines: int) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _last_line(text: str) -> str:
    lines = text.strip().splitlines()
    return lines[-1] if lines else "no output"
