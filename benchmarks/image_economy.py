"""How big a chain's images are, and how much of a full build a code-only change costs.

Usage::

    python -m benchmarks.image_economy [--chain examples/hello/chain.py] [--rounds 1]
                                       [--base-image chains-base:bookworm] [--check]

The chain's folder is copied to a temporary folder. Each round builds its images from
scratch with the command a user runs, ``chains-build CHAIN -o OUT --base-image BASE
--images``, then edits a string literal in a ``run_remote`` of the copy (a code-only change)
and runs the same command again. "From scratch" means no layer above the base image can come
from the cache: every round builds on a base of its own, ``BASE`` plus one ``LABEL`` (a new
image id, no new files), so the builder has no cached layer to reuse, while the second image
of the chain may reuse the first's layers, as in any cold build. The base image itself is
never removed; the images a round makes are removed when it ends.

The report: each image's size, what it adds to the base, how many build steps the rebuild
ran again and how many bytes of new layers it made; then the two build times (medians over
the rounds) and their ratio, against the target of at most 20%. ``--check`` exits 1 when the
target is missed. Needs a Docker daemon and the base image (``scripts/setup-docker.sh``).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import io
import json
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.build_speed import builder_command

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CHAIN = ROOT / "examples" / "hello" / "chain.py"
DEFAULT_BASE_IMAGE = "chains-base:bookworm"
TARGET_RATIO = 0.20
EDIT_MARKER = "(edited) "
BUILD_TIMEOUT_SEC = 1800.0
CLEANUP_TIMEOUT_SEC = 60.0
_RUN_LABEL = "chains.image-economy.run"
_ROUND_BASE_REPOSITORY = "chains-image-economy-base"
# chains-build's progress: "chains-build: [slug] Step 3/15 : RUN ..." and "---> Using cache".
_STEP = re.compile(
    r"^\S+: \[(?P<slug>[^\]]+)\] "
    r"(?:Step \d+/\d+ : (?P<instruction>[A-Za-z]+)|(?P<cached>---> Using cache))"
)


class BenchmarkError(Exception):
    """The benchmark cannot run or a build failed; the message says which and why."""


# -- the code-only change ---------------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """The code-only change: which chainlet's run_remote, which line, and what was done."""

    chainlet: str
    line: int
    what: str


_RunRemote = ast.FunctionDef | ast.AsyncFunctionDef


def _string_literals(function: _RunRemote) -> list[ast.expr]:
    """String literals in ``function``'s body, in source order, its docstring last."""
    first = function.body[0]
    docstring = (
        first.value
        if isinstance(first, ast.Expr)
        and isinstance(first.value, ast.Constant)
        and isinstance(first.value.value, str)
        else None
    )
    inside_fstrings = {
        id(part)
        for node in ast.walk(function)
        if isinstance(node, ast.JoinedStr)
        for part in node.values
    }
    found: list[ast.expr] = [
        node
        for node in ast.walk(function)
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in inside_fstrings
            and node is not docstring
        )
        or isinstance(node, ast.JoinedStr)
    ]
    found.sort(key=lambda node: (node.lineno, node.col_offset))
    return found + ([docstring] if docstring is not None else [])


def _run_remotes(tree: ast.Module) -> list[tuple[str, _RunRemote]]:
    """(chainlet class, its run_remote) for every top-level class that has one."""
    return [
        (klass.name, item)
        for klass in tree.body
        if isinstance(klass, ast.ClassDef)
        for item in klass.body
        if isinstance(item, _RunRemote) and item.name == "run_remote"
    ]


def _mark_literal(lines: list[str], node: ast.expr) -> None:
    """Put ``EDIT_MARKER`` just inside the opening quote of the literal at ``node``."""
    line = lines[node.lineno - 1].encode("utf-8")
    start = node.col_offset  # a byte offset into the UTF-8 line
    while line[start : start + 1] in (b"r", b"R", b"b", b"B", b"u", b"U", b"f", b"F"):
        start += 1
    cut = start + (3 if line[start : start + 3] in (b'"""', b"'''") else 1)
    lines[node.lineno - 1] = (line[:cut] + EDIT_MARKER.encode() + line[cut:]).decode("utf-8")


def edit_run_remote_string(source: str, filename: str) -> tuple[str, Edit]:
    """``source`` with a code-only change in a ``run_remote``: ``EDIT_MARKER`` put at the start
    of its first string literal or, where no run_remote has one, a string statement added
    before the first statement of the first run_remote; a BenchmarkError when neither works."""
    try:
        tree = ast.parse(source, filename)
    except SyntaxError as exc:
        raise BenchmarkError(
            f"{filename}: not valid Python ({exc.msg}, line {exc.lineno})"
        ) from None
    functions = _run_remotes(tree)
    lines = source.splitlines(keepends=True)
    literals = [(name, _string_literals(f)) for name, f in functions]
    with_literal = [(name, found[0]) for name, found in literals if found]
    if with_literal:
        chainlet, node = with_literal[0]
        _mark_literal(lines, node)
        edit = Edit(chainlet, node.lineno, "a string literal edited")
    else:
        usable = [(n, f) for n, f in functions if f.body[0].lineno > f.lineno]
        if not usable:
            raise BenchmarkError(
                f"{filename}: no chainlet class with a run_remote whose body starts on a line "
                "of its own; the benchmark makes its code-only change there (--chain)"
            )
        chainlet, function = usable[0]
        first = function.body[0]
        indent = lines[first.lineno - 1][: first.col_offset]
        lines.insert(first.lineno - 1, f'{indent}"{EDIT_MARKER.strip()}"\n')
        edit = Edit(chainlet, first.lineno, "a string statement added")
    edited = "".join(lines)
    ast.parse(edited, filename)  # the marker has no quote or backslash: still valid
    return edited, edit


def copy_chain(chain: Path, destination: Path) -> Path:
    """The chain file's folder copied to ``destination``; the copy of the chain file."""
    shutil.copytree(
        chain.parent, destination, ignore=shutil.ignore_patterns("__pycache__", ".*")
    )
    return destination / chain.name


# -- building ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Build:
    """One ``chains-build --images`` run: its wall time, the images by slug, the steps it ran
    per slug and how many of them came from the cache."""

    seconds: float
    images: dict[str, str]
    steps: dict[str, int]
    cached: dict[str, int]


def count_steps(log: str) -> tuple[dict[str, int], dict[str, int]]:
    """Build steps per image slug (FROM, which builds nothing, left out) and how many of them
    were cache hits, from chains-build's log."""
    steps: dict[str, int] = {}
    cached: dict[str, int] = {}
    for line in log.splitlines():
        match = _STEP.match(line)
        if match is None:
            continue
        slug = match.group("slug")
        cached.setdefault(slug, 0)
        steps.setdefault(slug, 0)
        if match.group("cached"):
            cached[slug] += 1
        elif match.group("instruction").upper() != "FROM":
            steps[slug] += 1
    return steps, cached


def _log_tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:]) or "(no output)"


def build_chain(chain: Path, out: Path, base_image: str) -> Build:
    """Run ``chains-build CHAIN -o OUT --base-image BASE --images`` and time it."""
    command = [*builder_command(), str(chain), "-o", str(out), "--base-image", base_image]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [*command, "--images"],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SEC,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchmarkError(
            f"chains-build did not finish within {BUILD_TIMEOUT_SEC:g} s"
        ) from None
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise BenchmarkError(
            f"chains-build failed ({done.returncode}); its output ends with:\n"
            f"{_log_tail(done.stdout + done.stderr)}"
        )
    chain_json = json.loads((out / "chain.json").read_text(encoding="utf-8"))
    images = {item["slug"]: item["image"] for item in chain_json["chainlets"]}
    steps, cached = count_steps(done.stderr)
    if set(steps) != set(images):
        raise BenchmarkError(
            f"chains-build's log names build steps for {sorted(steps)}, but chain.json "
            f"lists images for {sorted(images)}"
        )
    return Build(seconds, images, steps, cached)


@contextlib.contextmanager
def round_base(client: Any, base_image: str) -> Iterator[str]:
    """A base of this round's own (``base_image`` plus a label): nothing cached builds on it.

    Every image built on it inherits the label, so on the way out everything carrying it is
    removed, also what a failed build left; ``base_image`` itself does not carry it.
    """
    run = secrets.token_hex(6)
    tag = f"{_ROUND_BASE_REPOSITORY}:{run}"
    dockerfile = f'FROM {base_image}\nLABEL {_RUN_LABEL}="{run}"\n'
    try:
        try:
            client.images.build(
                fileobj=io.BytesIO(dockerfile.encode()), tag=tag, rm=True, pull=False
            )
        except Exception as exc:  # docker's BuildError and APIError share no base but this
            raise BenchmarkError(f"cannot label the base image {base_image}: {exc}") from None
        yield tag
    finally:
        remove_run_images(client, run)


def remove_run_images(client: Any, run: str) -> None:
    """Remove every container and image labelled with ``run``: a build stopped half-way
    leaves its build container and the layers made so far, which the daemon may still be
    cleaning up, so this retries for a while, then warns about what is left."""
    from docker.errors import APIError, NotFound

    labelled = {"label": f"{_RUN_LABEL}={run}"}
    for container in client.containers.list(all=True, filters=labelled):
        with contextlib.suppress(NotFound, APIError):
            container.remove(force=True)
    deadline = time.monotonic() + CLEANUP_TIMEOUT_SEC
    problem = ""
    while images := client.images.list(all=True, filters=labelled):
        if time.monotonic() > deadline:
            print(
                f"image_economy: warning: {len(images)} image(s) labelled {_RUN_LABEL}={run} "
                f"are left ({problem}); remove them with: docker rmi $(docker images -aq "
                f"--filter label={_RUN_LABEL}={run})",
                file=sys.stderr,
            )
            return
        # Newest first, so children go before their parents; a parent may still have a
        # child in this pass (same second), so what fails is tried again in the next one.
        for image in sorted(images, key=lambda image: str(image.attrs["Created"]), reverse=True):
            try:
                # Forced: one image may carry two of this run's tags (two identical chainlets).
                client.images.remove(image.id, force=True, noprune=False)
            except NotFound:
                pass  # pruned together with a child removed before it
            except APIError as exc:
                problem = str(exc.explanation or exc)
        time.sleep(0.2)


# -- measuring --------------------------------------------------------------------------


@dataclass(frozen=True)
class ImageRow:
    slug: str
    size_bytes: int
    added_bytes: int
    steps: int
    rebuilt_steps: int
    new_layer_bytes: int


@dataclass(frozen=True)
class Round:
    full: Build
    rebuild: Build
    rows: tuple[ImageRow, ...]


def new_layer_bytes(client: Any, before: str, after: str) -> int:
    """Bytes in the layers of ``after`` that ``before`` does not have (what a push uploads)."""
    known = {entry["Id"] for entry in client.api.history(before)}
    return sum(
        int(entry["Size"])
        for entry in client.api.history(after)
        if entry["Id"] not in known and entry["Id"] != "<missing>"
    )


def measure_round(client: Any, chain: Path, work: Path, base_image: str) -> Round:
    """Copy the chain, build it from scratch, change a string in run_remote, build again."""
    copy = copy_chain(chain, work / "chain")
    with round_base(client, base_image) as base:
        full = build_chain(copy, work / "out", base)
        edited, _ = edit_run_remote_string(copy.read_text(encoding="utf-8"), str(copy))
        copy.write_text(edited, encoding="utf-8")
        rebuild = build_chain(copy, work / "out", base)
        base_size = int(client.images.get(base).attrs["Size"])
        rows = []
        for slug, image in rebuild.images.items():
            if image == full.images[slug]:
                raise BenchmarkError(
                    f"the code change left the image of {slug} unchanged ({image})"
                )
            size = int(client.images.get(image).attrs["Size"])
            rows.append(
                ImageRow(
                    slug=slug,
                    size_bytes=size,
                    added_bytes=size - base_size,
                    steps=rebuild.steps[slug],
                    rebuilt_steps=rebuild.steps[slug] - rebuild.cached[slug],
                    new_layer_bytes=new_layer_bytes(client, full.images[slug], image),
                )
            )
    shutil.rmtree(work / "chain")
    shutil.rmtree(work / "out")
    return Round(full, rebuild, tuple(rows))


# -- reporting --------------------------------------------------------------------------


def _megabytes(size: int) -> str:
    return f"{size / 1e6:.1f}"


def report(
    chain: Path, edit: Edit, base_image: str, base_size: int, rounds: Sequence[Round]
) -> list[str]:
    full = statistics.median(r.full.seconds for r in rounds)
    rebuild = statistics.median(r.rebuild.seconds for r in rounds)
    ratio = rebuild / full
    lines = [
        f"chain: {_shown(chain)}; base image {base_image} ({_megabytes(base_size)} MB); "
        f"medians of {len(rounds)} round(s)",
        f"code-only change: {edit.what} in {edit.chainlet}.run_remote (line {edit.line})",
        f"{'image':<24} {'size MB':>8} {'added MB':>9} {'steps':>6} {'rebuilt':>8} "
        f"{'new layers kB':>14}",
    ]
    for row in rounds[-1].rows:
        lines.append(
            f"{row.slug:<24} {_megabytes(row.size_bytes):>8} {_megabytes(row.added_bytes):>9} "
            f"{row.steps:>6} {row.rebuilt_steps:>8} {row.new_layer_bytes / 1e3:>14.1f}"
        )
    lines += [
        f"{'build':<24} {'seconds':>8}",
        f"{'full (nothing cached)':<24} {full:>8.2f}",
        f"{'rebuild (code change)':<24} {rebuild:>8.2f}",
        f"rebuild / full build: {ratio:.1%} (target <= {TARGET_RATIO:.0%}): "
        f"{'met' if ratio <= TARGET_RATIO else 'MISSED'}",
    ]
    return lines


def _shown(path: Path) -> str:
    resolved = path.resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(path)


# -- command line -----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.image_economy", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--chain", type=Path, default=DEFAULT_CHAIN, help="the chain file (default: examples/hello)"
    )
    parser.add_argument("--rounds", type=int, default=1, help="full build + rebuild rounds (>= 1)")
    parser.add_argument(
        "--base-image",
        default=DEFAULT_BASE_IMAGE,
        help=f"the local base image to build on (default {DEFAULT_BASE_IMAGE})",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when the target is missed")
    return parser


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def docker_client() -> Any:
    """A client of the Docker daemon the environment names (DOCKER_HOST), checked to answer."""
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env()
        client.ping()
    except DockerException as exc:
        cause = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise BenchmarkError(
            f"no Docker daemon is reachable ({cause}): run scripts/setup-docker.sh (as root) "
            "or set DOCKER_HOST"
        ) from None
    return client


def _base_size(client: Any, base_image: str) -> int:
    from docker.errors import ImageNotFound

    try:
        return int(client.images.get(base_image).attrs["Size"])
    except ImageNotFound:
        raise BenchmarkError(
            f"the base image {base_image} is not present: build it with "
            "scripts/setup-docker.sh (no registry is used)"
        ) from None


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    chain: Path = args.chain
    if not chain.is_file() or chain.suffix != ".py":
        parser.error(f"--chain {chain}: not a chain file (give the .py file that holds the chain)")
    # A SIGTERM unwinds like Ctrl-C, so the images made so far are removed too.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        _, edit = edit_run_remote_string(chain.read_text(encoding="utf-8"), str(chain))
        client = docker_client()
        base_size = _base_size(client, args.base_image)
        rounds = []
        for _ in range(args.rounds):
            with tempfile.TemporaryDirectory(prefix="image-economy-") as folder:
                rounds.append(measure_round(client, chain, Path(folder), args.base_image))
    except BenchmarkError as exc:
        print(f"image_economy: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("image_economy: interrupted", file=sys.stderr)
        return 130
    for line in report(chain, edit, args.base_image, base_size, rounds):
        print(line)
    full = statistics.median(r.full.seconds for r in rounds)
    rebuild = statistics.median(r.rebuild.seconds for r in rounds)
    return 1 if args.check and rebuild / full > TARGET_RATIO else 0


if __name__ == "__main__":
    sys.exit(main())
