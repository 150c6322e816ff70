"""How fast ``chains-lint`` runs: one file against truss, a batch, and a warm cache.

Usage::

    python -m benchmarks.lint_speed [--runs 10] [--files 1000] [--warm-files 100] [--check]

Every measurement is the wall time of a real process, start-up included:

- one file: ``chains-lint --no-cache`` on ``benchmarks/data/rag_chain.py`` (five
  chainlets with configs, dependencies, secrets and streaming), and truss's own
  check of the same file in the same loop (the import that ``truss chains push``
  starts with: ``ChainletImporter.import_target``, which runs truss's validation;
  with the truss 0.18.36 of ``.cache/truss-venv-0.18.36``, made by
  ``tests/test_truss_agreement.py``). The runs alternate, so both see the same load;
  the ratio is of the medians. One untimed run of each comes first, and bytecode caching
  is on for both (as for a user), so neither is timed compiling its own modules.
- batch: varied generated chain files (seeded, so every run lints the same files)
  in a temporary folder, linted in one ``--no-cache`` run.
- warm cache: ``--warm-files`` generated files linted once to fill the cache, then
  timed again unchanged.

``--check`` exits 1 when a target is missed: one file at most 300 ms and at least
5 times faster than truss, at least 100 files per second, a warm run over 100
files under 150 ms.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

TYPICAL_FILE = Path(__file__).resolve().parent / "data" / "rag_chain.py"
PROJECT = Path(__file__).resolve().parents[1]
TRUSS_PYTHON = PROJECT / ".cache" / "truss-venv-0.18.36" / "bin" / "python"
SINGLE_FILE_TARGET_MS = 300.0
TRUSS_RATIO_TARGET = 5.0
BATCH_TARGET_FILES_PER_S = 100.0
WARM_TARGET_MS = 150.0
# What `truss chains push --dryrun FILE` does first: import the file, which runs
# truss's validation of every chainlet and picks the entrypoint.
TRUSS_CHECK = """
import pathlib, sys
from truss_chains import framework
with framework.ChainletImporter.import_target(pathlib.Path(sys.argv[1]).resolve()):
    pass
"""
SEED = 1234

_SIMPLE_TYPES = ("str", "int", "float", "bool", "bytes", "list[str]", "dict[str, int]")
_GPUS = ("T4", "L4", "A10G", "A100", "H100")
_WORDS = ("Embed", "Rank", "Chunk", "Clean", "Summarize", "Translate", "Detect", "Score")


@dataclass(frozen=True)
class Timing:
    seconds: list[float]  # wall time
    cpu_seconds: list[float] = field(default_factory=list)  # user + system time of the process

    @property
    def best(self) -> float:
        return min(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_seconds)


def linter_command() -> list[str]:
    """The installed ``chains-lint`` script next to this Python, else ``python -m``."""
    script = Path(sys.executable).with_name("chains-lint")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "chains_lint"]


def _user_environment() -> dict[str, str]:
    """This environment, but with bytecode caching on, as a user's shell has it.

    With ``PYTHONDONTWRITEBYTECODE`` set and a ``.pyc`` older than its source, every run
    compiles that module again, which measures the compiler, not the tool.
    """
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def time_command(command: Sequence[str], cwd: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one run (CPU time suffers less from a busy machine)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=cwd, capture_output=True, text=True, check=False, env=_user_environment()
    )
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        raise SystemExit(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return seconds, cpu


def _timing(runs: Sequence[tuple[float, float]]) -> Timing:
    return Timing([wall for wall, _ in runs], [cpu for _, cpu in runs])


def time_runs(args: Sequence[str], runs: int, cwd: Path) -> Timing:
    command = [*linter_command(), "--no-config", *args]
    return _timing([time_command(command, cwd) for _ in range(runs)])


def time_against_truss(path: Path, runs: int) -> tuple[Timing, Timing | None]:
    """``chains-lint --no-cache PATH`` and truss's check of PATH, run alternately."""
    ours = [*linter_command(), "--no-config", "--no-cache", str(path)]
    truss = [str(TRUSS_PYTHON), "-c", TRUSS_CHECK, str(path)] if TRUSS_PYTHON.is_file() else None
    lint_runs: list[tuple[float, float]] = []
    truss_runs: list[tuple[float, float]] = []
    time_command(ours, path.parent)  # untimed: writes any missing bytecode of either tool
    if truss is not None:
        time_command(truss, path.parent)
    for _ in range(runs):
        lint_runs.append(time_command(ours, path.parent))
        if truss is not None:
            truss_runs.append(time_command(truss, path.parent))
    return _timing(lint_runs), _timing(truss_runs) if truss_runs else None


def time_warm(files: int, runs: int) -> Timing:
    """A run over ``files`` unchanged chain files, answered from the cache."""
    with tempfile.TemporaryDirectory(prefix="chains-lint-warm-") as tmp:
        folder = Path(tmp)
        write_chain_files(folder, files)
        cold = time_runs(["."], 1, folder)  # fills the cache
        warm = time_runs(["."], runs, folder)
        if not (folder / ".chains_lint_cache").is_dir():
            raise SystemExit("the warm run wrote no cache: is CHAINS_LINT_NO_CACHE set?")
    print(f"  (the cold run that filled the cache: {cold.best * 1000:.0f} ms)")
    return warm


# -- generated chain files ------------------------------------------------------------


def _chainlet(
    rng: random.Random,
    name: str,
    earlier: dict[str, list[str]],
    flaw: bool,
) -> tuple[list[str], list[str]]:
    """A chainlet's source lines, and its run_remote parameter types."""
    types = [rng.choice(_SIMPLE_TYPES) for _ in range(rng.randint(1, 3))]
    params = [f"p{i}: {t}" for i, t in enumerate(types)]
    returns = rng.choice((*_SIMPLE_TYPES, "Payload"))
    lines = [f"class {name}(chains.ChainletBase):"]
    if rng.random() < 0.6:
        gpu = f', gpu="{rng.choice(_GPUS)}"' if rng.random() < 0.5 else ""
        lines += [
            "    remote_config = chains.RemoteConfig(",
            "        docker_image=chains.DockerImage(",
            f'            pip_requirements=["numpy=={rng.randint(1, 2)}.0"]',
            "        ),",
            f"        compute=chains.Compute(cpu_count={rng.randint(1, 8)}{gpu}),",
            '        assets=chains.Assets(secret_keys=["api_token"]),',
            "    )",
            "",
        ]
    deps = rng.sample(sorted(earlier), k=min(len(earlier), rng.randint(0, 2)))
    if deps:
        lines.append("    def __init__(")
        lines.append("        self,")
        for dep in deps:
            lines.append(f"        {dep.lower()}: {dep} = chains.depends({dep}, retries=2),")
        lines.append("    ) -> None:")
        for dep in deps:
            lines.append(f"        self._{dep.lower()} = {dep.lower()}")
        lines.append("")
    if flaw:  # an unannotated parameter: what a linter is for
        params[0] = params[0].split(":")[0]
    lines.append(f"    async def run_remote(self, {', '.join(params)}) -> {returns}:")
    for dep in deps:
        args = ", ".join(f"p{i}={_value(t)}" for i, t in enumerate(earlier[dep]))
        lines.append(f"        await self._{dep.lower()}.run_remote({args})")
    lines.append(f"        return {_value(returns)}")
    return lines, types


def _value(type_name: str) -> str:
    values = {"str": '"ok"', "int": "1", "float": "1.0", "bool": "True", "bytes": 'b""'}
    if type_name in values:
        return values[type_name]
    if type_name == "Payload":
        return 'Payload(key="k", values=[1.0])'
    return "[]" if type_name.startswith("list") else "{}"


def chain_file(rng: random.Random, index: int) -> str:
    """One varied chain file: 1-5 chainlets, dependencies, configs, some flaws."""
    count = rng.randint(1, 5)
    names = [f"{rng.choice(_WORDS)}{index}x{k}" for k in range(count)]
    lines = [
        f'"""Generated chain number {index}."""',
        "",
        "import pydantic",
        "import truss_chains as chains",
        "",
        "",
        "class Payload(pydantic.BaseModel):",
        "    key: str",
        "    values: list[float]",
    ]
    signatures: dict[str, list[str]] = {}
    for k, name in enumerate(names):
        lines += ["", ""]
        if k == count - 1 and count > 1:
            lines.append("@chains.mark_entrypoint")
        body, signatures[name] = _chainlet(rng, name, signatures, flaw=rng.random() < 0.1)
        lines += body
    return "\n".join(lines) + "\n"


def write_chain_files(folder: Path, count: int) -> None:
    rng = random.Random(SEED)
    for index in range(count):
        (folder / f"chain_{index:04d}.py").write_text(chain_file(rng, index), encoding="utf-8")


# -- main ---------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=10, help="runs of the single-file case")
    parser.add_argument("--files", type=int, default=1000, help="files in the batch case")
    parser.add_argument("--batch-runs", type=int, default=3, help="runs of the batch case")
    parser.add_argument("--warm-files", type=int, default=100, help="files in the warm case")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)

    single, truss = time_against_truss(TYPICAL_FILE, args.runs)
    print(
        f"one file ({TYPICAL_FILE.name}), no cache, {args.runs} runs: "
        f"min {single.best * 1000:.0f} ms, median {single.median * 1000:.0f} ms "
        f"(target <= {SINGLE_FILE_TARGET_MS:.0f} ms), CPU median {single.cpu_median * 1000:.0f} ms"
    )
    missed = single.median * 1000 > SINGLE_FILE_TARGET_MS
    if truss is None:
        print(f"truss's check: skipped ({TRUSS_PYTHON} is missing; see the docstring)")
    else:
        ratio = truss.median / single.median
        cpu_ratio = truss.cpu_median / single.cpu_median
        print(
            f"truss's import check of the same file, same loop: min {truss.best * 1000:.0f} ms, "
            f"median {truss.median * 1000:.0f} ms; chains-lint is {ratio:.1f}x faster "
            f"(target >= {TRUSS_RATIO_TARGET:.0f}x); CPU time median "
            f"{single.cpu_median * 1000:.0f} ms against {truss.cpu_median * 1000:.0f} ms "
            f"= {cpu_ratio:.1f}x"
        )
        missed |= ratio < TRUSS_RATIO_TARGET
    with tempfile.TemporaryDirectory(prefix="chains-lint-bench-") as tmp:
        folder = Path(tmp)
        write_chain_files(folder, args.files)
        batch = time_runs(["--no-cache", "."], args.batch_runs, folder)
    rate = args.files / batch.median
    print(
        f"{args.files} files in one run, no cache, {args.batch_runs} runs: "
        f"min {batch.best:.2f} s, median {batch.median:.2f} s = {rate:.0f} files/s "
        f"(target >= {BATCH_TARGET_FILES_PER_S:.0f} files/s)"
    )
    warm = time_warm(args.warm_files, args.runs)
    print(
        f"{args.warm_files} unchanged files, warm cache, {args.runs} runs: "
        f"min {warm.best * 1000:.0f} ms, median {warm.median * 1000:.0f} ms "
        f"(target < {WARM_TARGET_MS:.0f} ms for 100 files), "
        f"CPU median {warm.cpu_median * 1000:.0f} ms"
    )
    missed |= rate < BATCH_TARGET_FILES_PER_S or warm.median * 1000 >= WARM_TARGET_MS
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
