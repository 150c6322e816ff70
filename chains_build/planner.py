"""From the linter's chain model to a :class:`ChainPlan`: every build decision, made once.

``plan_chain`` reads the chain of one file (the linter has already checked it) and decides
per chainlet: its slug, its module, the user files it needs (``chains_build.sources``), its
requirements and build commands (checked by ``chains_build.checks``), its resources
(``chains_build.instance_types``) and its base image (``chains_build.base_images``). The plan
holds only relative paths; where the files come from on this machine is kept beside it, in
:class:`ChainletSources`, for the context writer.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from chains_build import checks
from chains_build.base_images import MIN_PYTHON, choose_base_image, parse_version
from chains_build.deploy_options import DeployOptions
from chains_build.errors import BuildError
from chains_build.gpu_defaults import sized_for_gpu
from chains_build.instance_types import resources_for
from chains_build.plan import DEFAULT_HOST_PORT, ChainletPlan, ChainPlan
from chains_build.slugs import slug, unique_slugs
from chains_build.sources import (
    SourceDir,
    SourceFile,
    folder_in_project,
    module_destination,
    needed_modules,
    project_folder,
)
from chains_build.weights_plan import plan_health, plan_weights
from chains_lint.model.types import Chain, Chainlet, ChainModel
from chains_lint.model.websocket import is_websocket_chainlet

GENERATED_NAMES = frozenset(
    {
        "Dockerfile",
        ".dockerignore",
        "chainlet_server.py",
        "requirements-runtime.txt",
        "requirements.txt",
        "requirements-file.txt",
        "constraints.txt",
        "install-uv.py",
        "requirements.lock",
        "chains_runtime",
    }
)
"""Names the build writes at the top of every context; user files may not take them."""

RESERVED_OUTPUT_NAMES = frozenset({"k8s", "docker-compose.yaml", "chain.json"})
"""Names next to the context folders in the output folder."""

REQUIREMENTS_FILE = "requirements-file.txt"
"""Where a chainlet's ``pip_requirements_file`` is copied in its context."""

# remote_config fields the build does not use: a value it cannot read there does not matter.
_UNUSED_FIELDS = (
    "options.metadata",
    "options.enable_b10_tracing",
    "options.enable_debug_logs",
    "options.health_checks",
    "options.transport",
    "options.streaming_read_timeout",
    "assets.cached",
    "assets.external_data",
    "assets.weights",
    "docker_image.truss_server_version_override",
    "docker_image.base_image.docker_auth",
)
_PYTHON_VERSION = re.compile(r"3\.\d{1,2}")
_DISPLAY_NAME = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class BuildOptions:
    """What the command line can change about a build."""

    python_version: str | None = None
    """``--python X.Y``; None: the building interpreter's version."""
    base_image: str | None = None
    """``--base-image IMAGE`` for every chainlet."""
    host_port: int = DEFAULT_HOST_PORT
    deploy: DeployOptions = field(default_factory=DeployOptions)
    """Replicas, autoscaling, exposure, GPU placement, weights volume (chains_build.cli)."""


@dataclass(frozen=True)
class ChainletSources:
    """Where one chainlet's user files are on this machine."""

    modules: tuple[SourceFile, ...]
    data_dir: SourceDir | None
    package_dirs: tuple[SourceDir, ...]
    requirements_file: Path | None


@dataclass(frozen=True)
class PlannedChain:
    plan: ChainPlan
    sources: dict[str, ChainletSources]
    """By chainlet class name."""
    project: Path
    """The project folder: what ``/app`` mirrors."""
    warnings: tuple[str, ...] = field(default=())
    """Configuration the build accepts but does not act on, one sentence each."""


def find_chain(model: ChainModel, chain_file: Path) -> Chain:
    """The chain whose entrypoint is in ``chain_file``."""
    resolved = chain_file.resolve()
    for chain in model.chains:
        if chain.path.resolve() == resolved:
            return chain
    raise BuildError(
        f"{chain_file} defines no chain: a chain file holds chainlet classes and marks one of "
        "them with @chains.mark_entrypoint"
    )


def python_version(options: BuildOptions) -> tuple[str, str]:
    """The chain's Python version and where it comes from (for ``--explain``)."""
    if options.python_version is None:
        version = f"{sys.version_info.major}.{sys.version_info.minor}"
        return version, "the Python running chains-build; --python changes it"
    version = options.python_version
    if not _PYTHON_VERSION.fullmatch(version):
        raise BuildError(f"--python {version!r}: write a Python version as X.Y, e.g. 3.11")
    if parse_version(version) < MIN_PYTHON:
        raise BuildError(
            f"--python {version}: chains_runtime needs Python "
            f"{'.'.join(map(str, MIN_PYTHON))} or newer"
        )
    return version, "--python"


def plan_chain(model: ChainModel, chain: Chain, options: BuildOptions) -> PlannedChain:
    project = project_folder(chain.path)
    version, version_source = python_version(options)
    _check_display_names(chain)
    slugs = unique_slugs(c.display_name for c in chain.chainlets)
    chainlet_plans: list[ChainletPlan] = []
    sources: dict[str, ChainletSources] = {}
    warnings: list[str] = []
    for chainlet, chainlet_slug in zip(chain.chainlets, slugs, strict=True):
        _check_readable(chainlet)
        chainlet_sources = _sources(model, chainlet, project)
        chainlet_plans.append(
            _chainlet_plan(
                model, chainlet, chainlet_slug, chain, chainlet_sources, version, version_source,
                options,
            )
        )
        sources[chainlet.name] = chainlet_sources
        warnings.extend(_unused_config(chainlet))
    entrypoint_name = chain.name or chain.entrypoint.name
    plan = ChainPlan(
        name=entrypoint_name,
        slug=slug(entrypoint_name),
        source=PurePosixPath(chain.path.resolve().relative_to(project)).as_posix(),
        python_version=version,
        chainlets=tuple(chainlet_plans),
        host_port=options.host_port,
        deploy=options.deploy,
    )
    return PlannedChain(plan, sources, project, tuple(warnings))


def _check_display_names(chain: Chain) -> None:
    seen: dict[str, str] = {}
    for chainlet in chain.chainlets:
        name = chainlet.display_name
        if not _DISPLAY_NAME.fullmatch(name):
            raise BuildError(
                f"chainlet `{chainlet.name}`: its name {name!r} names its build folder; use "
                "letters, digits, '_' and '-' in RemoteConfig(name=...)"
            )
        if name in RESERVED_OUTPUT_NAMES:
            raise BuildError(
                f"chainlet `{chainlet.name}`: its name {name!r} is taken by the build output; "
                "choose another with RemoteConfig(name=...)"
            )
        # Folders on case-insensitive file systems (macOS, Windows) must differ by more.
        other = seen.get(name.lower())
        if other is not None:
            raise BuildError(
                f"chainlets `{other}` and `{chainlet.name}` have names that differ only in "
                "case; give one another RemoteConfig(name=...)"
            )
        seen[name.lower()] = chainlet.name


def _check_readable(chainlet: Chainlet) -> None:
    """The build must see every remote_config value it uses."""
    for path, span in chainlet.remote_config.unread:
        if path.startswith(_UNUSED_FIELDS):
            continue
        shown = "remote_config" if path in ("**", "remote_config") else f"remote_config.{path}"
        raise BuildError(
            f"{span.path}:{span.line}: chainlet `{chainlet.name}`: {shown} is not a literal, so "
            "the build cannot read it; write the value itself (or a module-level constant)"
        )
    if not chainlet.cls.is_top_level:
        raise BuildError(
            f"chainlet `{chainlet.name}` is defined inside another class or a function; define "
            "it at the top level of its module so its server can import it"
        )


def _sources(model: ChainModel, chainlet: Chainlet, project: Path) -> ChainletSources:
    name = chainlet.name
    modules = tuple(
        SourceFile(module_destination(module), module.path)
        for module in needed_modules(model, chainlet.module)
    )
    image = chainlet.remote_config.docker_image
    data_dir = (
        folder_in_project(name, "data_dir", image.data_dir, project)
        if image.data_dir is not None
        else None
    )
    package_dirs = tuple(
        folder_in_project(name, "external_package_dirs entry", folder, project)
        for folder in image.external_package_dirs
    )
    for source in modules:
        checks.check_copy_path(name, "module file", source.destination)
    for folder in (data_dir, *package_dirs):
        if folder is not None:
            checks.check_copy_path(name, "folder", folder.destination)
    for destination in (
        *(m.destination for m in modules),
        *(d.destination for d in (data_dir, *package_dirs) if d is not None),
    ):
        top = destination.split("/")[0]
        if top in GENERATED_NAMES:
            raise BuildError(
                f"chainlet `{name}`: the project's {top!r} would take the place of a file the "
                "build generates; rename it"
            )
    return ChainletSources(modules, data_dir, package_dirs, _requirements_file(chainlet))


def _requirements_file(chainlet: Chainlet) -> Path | None:
    image = chainlet.remote_config.docker_image
    if image.pip_requirements_file is not None:
        path = Path(image.pip_requirements_file)
    elif image.requirements_file is not None:
        path = Path(image.requirements_file)
        if path.suffix != ".txt":
            raise BuildError(
                f"chainlet `{chainlet.name}`: requirements_file {path.name} is not a "
                "requirements.txt; chains-build installs only requirements files: export one "
                "(e.g. uv export --format requirements-txt) and name it in pip_requirements_file"
            )
    else:
        return None
    if not path.is_file():
        raise BuildError(f"chainlet `{chainlet.name}`: requirements file {path} does not exist")
    return path


def _requirement_lines(chainlet: Chainlet, path: Path | None) -> list[str]:
    """The entries of the requirements file (for the torch pin), checked to stand alone."""
    if path is None:
        return []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"chainlet `{chainlet.name}`: cannot read {path}: {exc}") from exc
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split(" #")[0].strip()
        if not entry or entry.startswith("#"):
            continue
        if re.match(r"(-r|-c|--requirement|--constraint)(\s|=|$)", entry):
            raise BuildError(
                f"{path}:{number}: chainlet `{chainlet.name}`: the requirements file refers to "
                "another file, which is not copied into the image; write its entries here"
            )
        lines.append(entry)
    return lines


def _chainlet_plan(
    model: ChainModel,
    chainlet: Chainlet,
    chainlet_slug: str,
    chain: Chain,
    sources: ChainletSources,
    version: str,
    version_source: str,
    options: BuildOptions,
) -> ChainletPlan:
    config = chainlet.remote_config
    name = chainlet.name
    image = config.docker_image
    pip = tuple(checks.check_pip_requirement(name, r) for r in image.pip_requirements)
    apt = tuple(checks.check_apt_requirement(name, r) for r in image.apt_requirements)
    commands = tuple(checks.check_build_command(name, c) for c in config.build_commands)
    for key, value in config.options.env_variables.items():
        checks.check_env_variable(name, key, value)
    secret_keys = tuple(sorted(set(config.assets.secret_keys)))
    for key in secret_keys:
        checks.check_secret_key(name, key)
    try:
        resources = resources_for(config.compute)
        resources = sized_for_gpu(resources, config.compute, set(config.sources))
    except BuildError as exc:
        raise BuildError(f"chainlet `{name}`: {exc.message}") from None
    base = choose_base_image(
        chainlet=name,
        python_version=version,
        python_source=version_source,
        gpu=resources.gpu,
        requirements=[*pip, *_requirement_lines(chainlet, sources.requirements_file)],
        configured_image=image.base_image,
        python_executable=image.python_executable_path,
        override=options.base_image,
    )
    return ChainletPlan(
        class_name=name,
        display_name=chainlet.display_name,
        slug=chainlet_slug,
        module=chainlet.module.name,
        is_entrypoint=chainlet is chain.entrypoint,
        is_streaming=chainlet.is_streaming,
        is_model=chainlet.is_model,
        is_websocket=is_websocket_chainlet(model.namespace, chainlet),
        dependencies=_dependencies(model, chainlet),
        secret_keys=secret_keys,
        resources=resources,
        predict_concurrency=config.compute.predict_concurrency,
        base_image=base,
        apt_requirements=apt,
        pip_requirements=pip,
        pip_requirements_file=REQUIREMENTS_FILE if sources.requirements_file else None,
        build_commands=commands,
        source_files=tuple(source.destination for source in sources.modules),
        data_dir=sources.data_dir.destination if sources.data_dir else None,
        env_variables=tuple(sorted(config.options.env_variables.items())),
        image=f"chains/{chainlet_slug}",
        package_dirs=tuple(folder.destination for folder in sources.package_dirs),
        python_executable=image.python_executable_path,
        run_remote_timeout_sec=config.options.run_remote_timeout_sec,
        health=plan_health(name, config),
        weights=plan_weights(name, config),
    )


def _dependencies(model: ChainModel, chainlet: Chainlet) -> tuple[str, ...]:
    names: list[str] = []
    for dependency in chainlet.dependencies:
        target = model.chainlet_for(dependency.target_qualified)
        if target is not None and target.name not in names:
            names.append(target.name)
    return tuple(names)


def _unused_config(chainlet: Chainlet) -> list[str]:
    config = chainlet.remote_config
    found = [
        f"chainlet `{chainlet.name}`: Assets({field}=...) is not built into the image by "
        "chains-build; download in __init__ or with build_commands"
        for field, value in (("external_data", config.assets.external_data),)
        if value
    ]
    if config.docker_image.docker_auth is not None:
        found.append(
            f"chainlet `{chainlet.name}`: CustomImage(docker_auth=...) is not used; log in to "
            "the registry with `docker login` before building"
        )
    return found
