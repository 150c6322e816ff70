"""The Dockerfile section that makes ``/opt/venv``: the chain's Python and its packages, by uv.

Every image runs the chain's Python version (``ChainPlan.python_version``): ``uv venv
--python X.Y`` uses the base image's interpreter when it is that version (``python:X.Y-slim``)
and otherwise installs a python-build-standalone build of it under ``/opt/python``, readable by
the server's user (the ``nvidia/cuda`` images, which have no Python, and any base whose python3
is another version). A ``CustomImage(python_executable_path=...)`` names the interpreter itself.

uv comes from PyPI at a pinned version, checked against the wheel's SHA-256 where it is fetched
without pip, and is removed again in the same step, so it adds nothing to the image. It
installs the requirements files with ``constraints.txt`` (the runtime's exact versions and the
torch build the base image was chosen for) or, when the chain has been locked
(``chains-build lock``), exactly the lock file's versions. A PyTorch index, when the base image
chose one, is passed as ``--torch-backend cuXYZ`` (``chains_build.torch_builds.torch_backend``):
uv then fetches only the PyTorch packages (torch, torchvision, torchaudio, triton, ...) from
that index and everything else from PyPI, so the index cannot supply, say, numpy. uv reads the
system's CA certificates (``UV_SYSTEM_CERTS``), so a TLS proxy whose CA the base image trusts
works, as it does for pip.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from chains_build.plan import ChainletPlan, ChainPlan
from chains_build.torch_builds import torch_backend

UV_VERSION = "0.13.9"
"""The uv the images use (and ``chains-build lock``); its wheels on PyPI:"""
UV_WHEELS: dict[str, tuple[str, str]] = {
    "x86_64": (
        "https://files.pythonhosted.org/packages/3d/aa/26d64642d808de4a652579ef950d7cd2d37f080a8"
        "babf9c67c6b75fc4c3f/uv-0.13.9-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "d7f459fe4fd247d830351c75686d3996ace3c6f3f728eb0e85a30b7ada0cef19",
    ),
    "aarch64": (
        "https://files.pythonhosted.org/packages/fe/2f/51a5de367c602592c018a42a23d57fba5f2689fe6"
        "c3bf025dcf043b39c61/uv-0.13.9-py3-none-manylinux_2_28_aarch64.whl",
        "ecb6028d79dc96fbeafffe5c8af62a7099487ebc05a701e76714eebcffd06375",
    ),
}
"""Machine -> (wheel URL, SHA-256), from PyPI's JSON API for uv 0.13.9."""

VENV = PurePosixPath("/opt/venv")
PYTHON_DIR = PurePosixPath("/opt/python")
UV = "/usr/local/bin/uv"
CONSTRAINTS = "constraints.txt"
LOCK_FILE = "requirements.lock"

FETCH_APT_PACKAGES = ("ca-certificates", "curl", "unzip")
"""What a base image without Python needs to fetch uv (which then fetches Python)."""


def environment_lines() -> list[str]:
    """``ENV`` settings for uv, part of the Dockerfile's header."""
    return [
        f"ENV UV_PYTHON_INSTALL_DIR={PYTHON_DIR} \\",
        "    UV_PYTHON_PREFERENCE=system \\",
        "    UV_NO_CACHE=1 \\",
        "    UV_LINK_MODE=copy \\",
        "    UV_SYSTEM_CERTS=1",
    ]


INSTALL_UV_SCRIPT = "install-uv.py"
"""The context file that fetches uv on bases with Python (7-10 s faster than pip install uv)."""


_INSTALL_UV = '''"""Fetch uv {version} from PyPI for chains-build's Dockerfile (SHA-256 checked)."""

import hashlib
import io
import os
import platform
import sys
import urllib.request
import zipfile

WHEELS = {{
{wheels}}}
machine = platform.machine()
if machine not in WHEELS:
    sys.exit(f"no uv wheel for {{machine}}")
url, digest = WHEELS[machine]
with urllib.request.urlopen(url, timeout=300) as response:
    data = response.read()
if hashlib.sha256(data).hexdigest() != digest:
    sys.exit(f"{{url}}: SHA-256 mismatch")
with open("{target}", "wb") as target:
    target.write(zipfile.ZipFile(io.BytesIO(data)).read("uv-{version}.data/scripts/uv"))
os.chmod("{target}", 0o755)
'''


def install_uv_script() -> str:
    """A Python program that puts the uv binary of :data:`UV_WHEELS` at ``/usr/local/bin/uv``,
    after checking the wheel's SHA-256. It runs on the base image's python3."""
    wheels = ""
    for machine, (url, digest) in UV_WHEELS.items():
        parts = "\n".join(f'        "{url[i : i + 64]}"' for i in range(0, len(url), 64))
        wheels += f'    "{machine}": (\n{parts},\n        "{digest}",\n    ),\n'
    return _INSTALL_UV.format(version=UV_VERSION, wheels=wheels, target=UV)


def install_uv(chainlet: ChainletPlan, folder: PurePosixPath) -> list[str]:
    """Shell commands (joined with ``&&``) that put uv at ``/usr/local/bin/uv``."""
    if chainlet.base_image.has_python:
        python = chainlet.python_executable or "python3"
        return [f"{python} {folder / INSTALL_UV_SCRIPT}"]
    cases = " ".join(
        f'{machine}) url="{url}"; sum={digest};;' for machine, (url, digest) in UV_WHEELS.items()
    )
    return [
        f'case "$(uname -m)" in {cases} *) echo "no uv wheel for $(uname -m)" >&2; exit 1;; esac',
        'curl -fsSL "$url" -o /tmp/uv.whl',
        'printf "%s  /tmp/uv.whl\\n" "$sum" > /tmp/uv.sha256',
        "sha256sum -c /tmp/uv.sha256",
        f"unzip -p /tmp/uv.whl uv-{UV_VERSION}.data/scripts/uv > {UV}",
        f"chmod 755 {UV}",
        "rm /tmp/uv.whl /tmp/uv.sha256",
    ]


def make_venv(plan: ChainPlan, chainlet: ChainletPlan) -> list[str]:
    python = chainlet.python_executable or plan.python_version
    return [f"uv venv --seed --python {python} {VENV}"]


def install_packages(
    chainlet: ChainletPlan, requirement_files: list[str], folder: PurePosixPath, *, locked: bool
) -> list[str]:
    command = [f"uv pip install --python {VENV}/bin/python"]
    if chainlet.base_image.package_index is not None:
        command.append(f"--torch-backend {torch_backend(chainlet.base_image.package_index)}")
    if locked:
        command.append(f"-r {folder / LOCK_FILE}")
    else:
        command.append(f"-c {folder / CONSTRAINTS}")
        command += [f"-r {folder / name}" for name in requirement_files]
    return [" ".join(command)]


def constraints_text(runtime: str, chainlet: ChainletPlan) -> str:
    """The context's ``constraints.txt``: the runtime's pins and the torch build's."""
    extra = "".join(f"{line}\n" for line in chainlet.base_image.constraints)
    return runtime + extra


def python_description(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, str]:
    """What ``chain.json`` says about the image's Python."""
    if chainlet.python_executable is not None:
        return {
            "version": plan.python_version,
            "executable": chainlet.python_executable,
            "source": "CustomImage.python_executable_path",
        }
    source = (
        "the base image's python3 when it is this version, else python-build-standalone "
        "installed by uv"
        if chainlet.base_image.has_python
        else "python-build-standalone installed by uv"
    )
    return {"version": plan.python_version, "executable": f"{VENV}/bin/python", "source": source}
