"""The ``chains-build`` command line.

``chains-build PATH -o OUT`` lints the chain file, refuses it on lint errors, and writes OUT:
a Docker build context per chainlet, ``docker-compose.yaml``, ``k8s/`` and ``chain.json``,
all at once (nothing of OUT changes on an error). ``--explain PATH`` prints why each
chainlet gets its base image; ``init NAME`` creates a new chain folder; ``lock PATH`` resolves
each chainlet's packages into ``chains-lock/`` beside the chain file (``chains_build.lock``).

Exit status: 0 done; 1 the chain cannot be built (lint errors, bad configuration, a failed
image build); 2 a usage error. Progress goes to stderr, lint findings and ``--explain`` to
stdout.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from chains_build.deploy_flags import add_deploy_flags, deploy_options
from chains_build.errors import BuildError
from chains_build.plan import DEFAULT_HOST_PORT
from chains_build.planner import BuildOptions, PlannedChain, find_chain, plan_chain
from chains_lint.api import ConfigError, LintResult, lint_chain_file, text_report
from chains_lint.errors import UsageError, describe_exception

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
PROG = "chains-build"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (1-65535)")
    return port


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Build Docker contexts, docker-compose.yaml and Kubernetes manifests "
        "from a chain file. `chains-build init NAME` creates a new chain folder; "
        "`chains-build lock PATH` pins every chainlet's packages.",
        epilog="Exit status: 0 done, 1 the chain cannot be built, 2 usage error.",
    )
    parser.add_argument("path", type=Path, metavar="PATH", help="the chain file (.py)")
    parser.add_argument("-o", "--output", type=Path, metavar="OUT", help="the output folder")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print each chainlet's base image and why, and write nothing",
    )
    parser.add_argument(
        "--base-image", metavar="IMAGE", help="use IMAGE as every chainlet's base image"
    )
    parser.add_argument(
        "--port",
        type=_port,
        default=DEFAULT_HOST_PORT,
        help=f"host port docker-compose publishes the entrypoint on (default {DEFAULT_HOST_PORT})",
    )
    parser.add_argument(
        "--python", metavar="X.Y", help="Python version of the images (default: this Python's)"
    )
    parser.add_argument(
        "--images", action="store_true", help="also build the images with the Docker daemon"
    )
    parser.add_argument(
        "--push",
        metavar="REGISTRY",
        help="build the images tagged REGISTRY/chains/<name>:<hash> and push them",
    )
    add_deploy_flags(parser)
    return parser


def build_init_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=f"{PROG} init", description="Create a new chain folder.")
    parser.add_argument("name", type=Path, metavar="NAME", help="the folder to create")
    return parser


def progress(message: str) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


def build_lock_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=f"{PROG} lock",
        description="Resolve each chainlet's packages for its image's Python and platform into "
        "chains-lock/<chainlet>.txt beside the chain file; later builds install exactly those.",
    )
    parser.add_argument("path", type=Path, metavar="PATH", help="the chain file (.py)")
    parser.add_argument(
        "--python", metavar="X.Y", help="Python version of the images (default: this Python's)"
    )
    parser.add_argument(
        "--base-image", metavar="IMAGE", help="use IMAGE as every chainlet's base image"
    )
    return parser


def run(argv: Sequence[str]) -> int:
    if argv and argv[0] == "init":
        return _init(build_init_parser().parse_args(list(argv[1:])))
    if argv and argv[0] == "lock":
        return _lock_chain(build_lock_parser().parse_args(list(argv[1:])))
    args = build_parser().parse_args(list(argv))
    if not args.explain and args.output is None:
        raise UsageError("give the output folder with -o OUT (or --explain to only explain)")
    path: Path = args.path
    result = _lint(path)
    if result is None:
        return EXIT_FAILED
    options = BuildOptions(
        python_version=args.python,
        base_image=args.base_image,
        host_port=args.port,
        deploy=deploy_options(args),
    )
    planned = _plan(result, path, options)
    if args.explain:
        from chains_build.explain import render_explain

        sys.stdout.write(render_explain(planned))
        return EXIT_OK
    for warning in planned.warnings:
        progress(f"warning: {warning}")
    return _build(planned, args.output, args.push, images=args.images or args.push is not None)


def _lint(path: Path) -> LintResult | None:
    """Lint the chain file ``path`` with the project's configuration (default profile); None
    when there are errors."""
    if not path.is_file() or path.suffix != ".py":
        raise UsageError(f"{path}: not a chain file (give the .py file that holds the chain)")
    try:
        result = lint_chain_file(path, profile="default")
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    if result.diagnostics:
        sys.stdout.write(text_report(result))
        sys.stdout.flush()
    if result.internal_errors:
        for error in result.internal_errors:
            progress(f"internal error: {error} (please report this)")
        return None
    if result.has_errors:
        errors = sum(1 for d in result.diagnostics if d.severity.value == "error")
        progress(f"{path} has {errors} lint error(s): fix them, then build again")
        return None
    return result


def _plan(result: LintResult, path: Path, options: BuildOptions) -> PlannedChain:
    target = result.analysis.targets[0]
    chain = find_chain(target.model, path)
    return plan_chain(target.model, chain, options)


def _build(planned: PlannedChain, out: Path, push: str | None, *, images: bool) -> int:
    from chains_runtime.contract import SERVICE_TOKEN_ENV

    from chains_build.chain_json import render_chain_json
    from chains_build.compose import render_compose
    from chains_build.contexts import build_contexts, write_context
    from chains_build.env_file import ENV_FILE, ensure_service_token
    from chains_build.images import build_images, check_registry
    from chains_build.k8s import render_manifests
    from chains_build.output import check_replaceable, write_atomically

    check_replaceable(out)
    _check_not_copied(planned, out)
    registry = check_registry(push) if push is not None else None
    plan, contexts = build_contexts(planned, registry=registry)
    compose = render_compose(plan)
    manifests = render_manifests(plan)
    chain_json = render_chain_json(plan)

    def fill(folder: Path) -> None:
        for context in contexts:
            write_context(context, folder / context.folder)
        (folder / "docker-compose.yaml").write_text(compose, encoding="utf-8")
        k8s = folder / "k8s"
        k8s.mkdir()
        for name, text in manifests.items():
            (k8s / name).write_text(text, encoding="utf-8")
        (folder / "chain.json").write_text(chain_json, encoding="utf-8")

    try:
        write_atomically(out, fill)
    except OSError as exc:
        raise BuildError(f"cannot write {out}: {exc.strerror or exc}") from exc
    try:
        if ensure_service_token(out):
            progress(f"wrote {out / ENV_FILE} with a random {SERVICE_TOKEN_ENV} (mode 600)")
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"cannot write {out / ENV_FILE}: {exc}") from exc
    for context in contexts:
        progress(f"{context.folder}/: {context.chainlet.image}")
    count = f"{len(contexts)} build context{'s' if len(contexts) != 1 else ''}"
    progress(f"wrote {out}: {count}, docker-compose.yaml, k8s/, chain.json")
    if images:
        build_images(plan, out, progress, push=registry is not None)
    return EXIT_OK


def _check_not_copied(planned: PlannedChain, out: Path) -> None:
    """OUT inside a folder the images copy would copy one build into the next."""
    resolved = out.resolve()
    for name, sources in planned.sources.items():
        for folder in (sources.data_dir, *sources.package_dirs):
            if folder is not None and resolved.is_relative_to(folder.path):
                raise BuildError(
                    f"the output folder {out} is inside {folder.destination}, which chainlet "
                    f"`{name}` copies into its image; write the output elsewhere"
                )


def _lock_chain(args: argparse.Namespace) -> int:
    from chains_build.contexts import lock_inputs
    from chains_build.lock import lock_path, write_locks

    path: Path = args.path
    result = _lint(path)
    if result is None:
        return EXIT_FAILED
    options = BuildOptions(python_version=args.python, base_image=args.base_image)
    planned = _plan(result, path, options)
    plan = planned.plan
    locks = [
        (lock_path(planned.project, plan, chainlet), lock_inputs(planned, chainlet))
        for chainlet in plan.chainlets
    ]
    write_locks(locks, plan.source, progress)
    return EXIT_OK


def _init(args: argparse.Namespace) -> int:
    from chains_build.scaffold import CHAIN_FILE, init_chain

    init_chain(args.name)
    progress(f"created {args.name / CHAIN_FILE}; build it with: {PROG} "
             f"{args.name / CHAIN_FILE} -o build")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    if isinstance(sys.stdout, io.TextIOWrapper):
        sys.stdout.reconfigure(errors="backslashreplace")
    try:
        return run(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        progress(f"error: {exc}")
        return EXIT_USAGE
    except BuildError as exc:
        progress(f"error: {exc.message}")
        return EXIT_FAILED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except KeyboardInterrupt:
        progress("interrupted")
        return EXIT_FAILED
    except Exception as exc:
        progress(f"internal error: {describe_exception(exc)} (please report this)")
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
