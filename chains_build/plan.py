"""The build plan: everything the generators need to know about a chain, decided once.

``chains_build.planner`` turns the linter's ``ChainModel`` into a ``ChainPlan``; the context
writer, the Dockerfile, the generated servers, ``chain.json``, docker-compose and the Kubernetes
manifests are all rendered from it and read nothing else. A plan is plain frozen data with
tuples for sequences, so rendering it twice gives byte-identical output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

from chains_build.deploy_options import DeployOptions, Health, Weights

CHAINLET_PORT = 8080
"""The port every chainlet server listens on inside its container."""

DEFAULT_HOST_PORT = 8000
"""The host port the entrypoint is published on by docker-compose (``--port`` changes it)."""

SECRETS_DIR = PurePosixPath("/secrets")
"""Where a container finds its secrets, one file per key (the runtime's default)."""

APP_DIR = PurePosixPath("/app")
"""Where the user's code and the generated server live in an image."""

APP_UID = 10001
"""The numeric user and group id the server runs as in an image (``USER 10001:10001``).
Kubernetes' ``runAsNonRoot`` can only verify a numeric user, and ``fsGroup`` uses it to make
mounted secrets readable."""


@dataclass(frozen=True)
class Resources:
    """What one replica of a chainlet needs, from ``Compute`` or its ``instance_type``."""

    cpu: str
    """Kubernetes CPU quantity, e.g. ``"1"`` or ``"500m"``."""
    memory: str
    """Kubernetes memory quantity, e.g. ``"2Gi"``."""
    gpu: str | None
    """The GPU model as written in ``Compute(gpu=...)``, e.g. ``"H100"``; None for CPU only."""
    gpu_count: int
    """GPUs per replica; 0 when ``gpu`` is None."""
    source: str
    """Where these numbers come from, for ``--explain``: ``"compute"`` or
    ``"instance_type H100:8x80"``."""
    from_gpu_table: bool = False
    """True when a GPU chainlet gave no ``cpu_count``/``memory``: the numbers are the GPU
    table's defaults (requests, no CPU limit), not the user's."""


@dataclass(frozen=True)
class BaseImage:
    """The image a chainlet's Dockerfile starts ``FROM``, and why it was chosen."""

    image: str
    """e.g. ``"python:3.11-slim"`` or ``"nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04"``."""
    reasons: tuple[str, ...]
    """One sentence per fact that decided it (GPU minimum CUDA, torch pin, override, ...)."""
    has_python: bool
    """False when the Dockerfile must install Python itself (the ``nvidia/cuda`` images)."""
    cuda: str | None = None
    """The CUDA version of the image, e.g. ``"12.8"``; None for CPU images."""
    package_index: str | None = None
    """The PyTorch index of the chosen CUDA build (or of the CPU builds), e.g.
    ``"https://download.pytorch.org/whl/cu128"``, which uv uses for the PyTorch packages only
    (``--torch-backend cu128``); None: PyPI only."""
    constraints: tuple[str, ...] = ()
    """Constraint lines that hold torch to the chosen build, e.g. ``("torch==2.7.0+cu128",)``."""


@dataclass(frozen=True)
class ChainletPlan:
    """One chainlet: one build context, one image, one service."""

    class_name: str
    """The user's class, e.g. ``"SayHello"``."""
    display_name: str
    """``remote_config.name`` or the class name; the context folder is named after it."""
    slug: str
    """A DNS-1123 label derived from the display name (``"say-hello"``): the compose service,
    Kubernetes object and image name."""
    module: str
    """The dotted module that defines the class, relative to the context's ``/app`` folder,
    e.g. ``"chain"`` or ``"pipeline.steps"``."""
    is_entrypoint: bool
    is_streaming: bool
    dependencies: tuple[str, ...]
    """Class names of the chainlets it calls through ``depends(...)``, in declaration order."""
    secret_keys: tuple[str, ...]
    """``Assets(secret_keys=...)``, sorted; only names, never values."""
    resources: Resources
    predict_concurrency: int
    base_image: BaseImage
    apt_requirements: tuple[str, ...]
    pip_requirements: tuple[str, ...]
    pip_requirements_file: str | None
    """Path of the requirements file inside the context, when the chainlet names one."""
    build_commands: tuple[str, ...]
    source_files: tuple[str, ...]
    """User files copied into the context, as POSIX paths relative to ``/app``."""
    data_dir: str | None
    """The ``data_dir`` folder inside the context (copied to ``/app/<data_dir>``), if any."""
    env_variables: tuple[tuple[str, str], ...]
    """``ChainletOptions(env_variables=...)``, sorted by name."""
    image: str
    """The image reference compose and Kubernetes use, e.g. ``"chains/say-hello:3f2a9c1d0b7e"``
    (tagged by the context's content hash)."""
    port: int = CHAINLET_PORT
    package_dirs: tuple[str, ...] = ()
    """``external_package_dirs`` as folders relative to ``/app``; the server puts them on
    ``sys.path``."""
    python_executable: str | None = None
    """``CustomImage(python_executable_path=...)``: the Python that makes the image's venv;
    None: ``python3``."""
    run_remote_timeout_sec: float | None = None
    """``ChainletOptions(run_remote_timeout_sec=...)``: the server's time limit per call."""
    locked: bool = False
    """True when the context holds a lock file (``chains-build lock``) the image installs
    exactly, instead of resolving the requirements with the runtime's constraints."""
    health: Health = field(default_factory=Health)
    """``ChainletOptions(health_checks=...)``: the startup window and probe thresholds."""
    weights: Weights = field(default_factory=Weights)
    """``Assets(cached=...)`` and ``Assets(weights=...)``: downloaded into a cache volume."""
    is_model: bool = False
    """A ``ModelBase``: its ``predict`` is served at ``/predict`` (and ``/run_remote``)."""
    is_websocket: bool = False
    """Its ``run_remote`` takes a websocket: served at ``/websocket`` (probes stay on HTTP)."""

    @property
    def endpoint(self) -> str:
        """The path its callers use: ``/predict``, ``/websocket`` or ``/run_remote``."""
        if self.is_model:
            return "/predict"
        return "/websocket" if self.is_websocket else "/run_remote"

    @property
    def scheme(self) -> str:
        """The URL scheme of its endpoint: ``ws`` for a websocket, else ``http``."""
        return "ws" if self.is_websocket else "http"


@dataclass(frozen=True)
class ChainPlan:
    """A whole chain: its chainlets, entrypoint first, then the others breadth first."""

    name: str
    """``mark_entrypoint("Name")`` or the entrypoint's class name."""
    slug: str
    source: str
    """The chain file, relative to the project root, POSIX form."""
    python_version: str
    """``"3.11"``: the Python the images run (the building interpreter's, unless overridden)."""
    chainlets: tuple[ChainletPlan, ...]
    host_port: int = DEFAULT_HOST_PORT
    deploy: DeployOptions = field(default_factory=DeployOptions)
    """Replicas, autoscaling, exposure, GPU placement and the weights volume (flags)."""

    @property
    def entrypoint(self) -> ChainletPlan:
        return self.chainlets[0]

    def chainlet(self, class_name: str) -> ChainletPlan:
        """The plan of the chainlet whose class is ``class_name``."""
        for chainlet in self.chainlets:
            if chainlet.class_name == class_name:
                return chainlet
        raise KeyError(class_name)

    def dependency_url(self, class_name: str) -> str:
        """The URL other chainlets reach ``class_name`` at, on the compose network or in a
        Kubernetes namespace (both resolve the slug as a host name)."""
        target = self.chainlet(class_name)
        return f"http://{target.slug}:{target.port}"
