"""Ask a real ``truss`` install whether it accepts chain files.

Run this script with the python of a virtual environment where ``truss`` is
installed; chains_lint never imports it. For each file it does what
``truss chains push --dryrun FILE`` does before talking to any server:

1. ``import``: ``ChainletImporter.import_target`` executes the file, which runs
   truss's class-definition validation of every chainlet, raises the collected
   errors, and picks the entrypoint (one marked chainlet, or the only one).
2. ``generate``: ``deployment_client.push`` with ``only_generate_trusses`` writes a
   truss per chainlet, which validates what the import leaves unchecked (the
   compute memory format, duplicate display names...).

Every file is checked in its own forked process, so module names, the chainlet
registry and truss's error collector never leak from one file into the next.
One JSON object per file is printed on stdout, in the order of the arguments:
``{"path": ..., "verdict": "accept" | "reject", "stage": ..., "error": ...}``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import pathlib
import shutil
import sys
import tempfile
import traceback
import warnings
from typing import Any

# truss is installed only in the environment that runs this script, not in .venv.
from truss_chains import framework, private_types  # type: ignore[import-not-found, unused-ignore]
from truss_chains.deployment import deployment_client  # type: ignore[import-not-found, unused-ignore]

Result = dict[str, Any]


def _result(path: str, stage: str | None, error: BaseException | None) -> Result:
    if error is None:
        return {"path": path, "verdict": "accept", "stage": None, "error": None}
    message = f"{type(error).__name__}: {error}"
    return {"path": path, "verdict": "reject", "stage": stage, "error": message}


def _generate_trusses(entrypoint: Any, source: pathlib.Path) -> None:
    chain_name = entrypoint.meta_data.chain_name or entrypoint.display_name
    options = private_types.PushOptionsBaseten.create(
        chain_name=chain_name,
        publish=True,
        promote=False,
        only_generate_trusses=True,
        remote="",
        include_git_info=False,
        working_dir=source.parent,
    )
    deployment_client.push(entrypoint, options)


def check_file(path: str) -> Result:
    """Import and generate one chain file; runs in a forked child process."""
    # Only the parent writes to stdout: truss's own output goes to stderr.
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    # Generated trusses land in tempfile.gettempdir(); give each file its own.
    tempfile.tempdir = tempfile.mkdtemp(prefix="truss-oracle-")
    source = pathlib.Path(path).resolve()
    stage = "import"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with framework.ChainletImporter.import_target(source) as entrypoint:
                stage = "generate"
                _generate_trusses(entrypoint, source)
    except BaseException as exc:  # also SystemExit: a lost result would hang the pool
        traceback.print_exc(file=sys.stderr)
        return _result(path, stage, exc)
    finally:
        shutil.rmtree(tempfile.tempdir, ignore_errors=True)
    return _result(path, None, None)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="chain files to check")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    # Code generation formats its output with the `ruff` of this environment.
    bin_dir = os.path.dirname(sys.executable)
    os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")
    context = multiprocessing.get_context("fork")
    with (
        contextlib.redirect_stdout(sys.stderr),
        context.Pool(processes=max(1, args.jobs), maxtasksperchild=1) as pool,
    ):
        results = pool.map(check_file, args.paths, chunksize=1)
    for result in results:
        sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
