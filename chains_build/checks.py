"""Checks on the strings a chain puts into a Dockerfile, a requirements file or a file name.

A Dockerfile instruction is one line: a line break in a build command would end the ``RUN``
and start an instruction of its own, a trailing backslash would glue the next instruction to
it, and a here-document would swallow the lines after it. Requirements go into requirements
files, where a line break splits one entry into two and a trailing backslash joins two. Each
check raises a ``BuildError`` that names the chainlet, the field and the entry.
"""

from __future__ import annotations

import re

from chains_build.errors import BuildError

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
# A Debian package, optionally :arch, =version or /release (apt-get install's forms).
_APT_PACKAGE = re.compile(
    r"[a-z0-9][a-z0-9+.\-]*(?::[a-z0-9\-]+)?(?:=[A-Za-z0-9.+~:\-]+|/[A-Za-z0-9.\-]+)?"
)
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SECRET_KEY = re.compile(r"[A-Za-z0-9._\-]+")
# Characters a path may have where it is written into the Dockerfile (COPY treats *, ?, [
# as patterns and $ as a variable; quotes and spaces would need escaping).
_PATH_SAFE = re.compile(r"[\w.\-/]+")


def _describe(text: str) -> str:
    return repr(text) if len(text) <= 80 else repr(text[:77] + "...")


def _no_control_characters(chainlet: str, field: str, entry: str) -> None:
    found = _CONTROL.search(entry)
    if found is None:
        return
    what = {"\n": "a line break", "\r": "a carriage return", "\x00": "a NUL byte"}.get(
        found.group(), f"the control character {found.group()!r}"
    )
    raise BuildError(
        f"chainlet `{chainlet}`: {field} entry {_describe(entry)} contains {what}, which would "
        "break the Dockerfile; write one entry per list item, on one line"
    )


def check_pip_requirement(chainlet: str, entry: str) -> str:
    """A ``pip_requirements`` entry, stripped; refuses what a requirements file cannot hold."""
    _no_control_characters(chainlet, "pip_requirements", entry)
    stripped = entry.strip()
    if not stripped:
        raise BuildError(f"chainlet `{chainlet}`: pip_requirements has an empty entry")
    if re.match(r"(-r|-c|--requirement|--constraint)(\s|=|$)", stripped):
        raise BuildError(
            f"chainlet `{chainlet}`: pip_requirements entry {_describe(entry)} refers to "
            "another file, which is not in the build context; use pip_requirements_file"
        )
    if stripped.endswith("\\"):
        raise BuildError(
            f"chainlet `{chainlet}`: pip_requirements entry {_describe(entry)} ends with a "
            "backslash, which would join it to the next line of the requirements file; remove it"
        )
    return stripped


def check_apt_requirement(chainlet: str, entry: str) -> str:
    _no_control_characters(chainlet, "apt_requirements", entry)
    stripped = entry.strip()
    if not _APT_PACKAGE.fullmatch(stripped):
        raise BuildError(
            f"chainlet `{chainlet}`: apt_requirements entry {_describe(entry)} is not a Debian "
            "package name (optionally with =version); list one package per entry"
        )
    return stripped


def check_build_command(chainlet: str, entry: str) -> str:
    _no_control_characters(chainlet, "build_commands", entry)
    command = entry.strip()
    if not command:
        raise BuildError(f"chainlet `{chainlet}`: build_commands has an empty entry")
    if command.endswith("\\"):
        raise BuildError(
            f"chainlet `{chainlet}`: build_commands entry {_describe(entry)} ends with a "
            "backslash, which would join it to the next Dockerfile instruction; remove it"
        )
    if "<<" in command.replace("<<<", ""):
        raise BuildError(
            f"chainlet `{chainlet}`: build_commands entry {_describe(entry)} uses a "
            "here-document (<<), which does not fit on one Dockerfile line; put the script in "
            "a file under data_dir and run that file"
        )
    return command


def check_env_variable(chainlet: str, name: str, value: str) -> None:
    if not _ENV_NAME.fullmatch(name):
        raise BuildError(
            f"chainlet `{chainlet}`: env_variables name {name!r} is not a valid environment "
            "variable name (letters, digits and _, not starting with a digit)"
        )
    if "\x00" in value:
        raise BuildError(f"chainlet `{chainlet}`: env_variables value of {name} has a NUL byte")


def check_secret_key(chainlet: str, key: str) -> None:
    """Secret keys become file names (``/secrets/<key>``) and Kubernetes Secret keys."""
    if not _SECRET_KEY.fullmatch(key) or key in (".", ".."):
        raise BuildError(
            f"chainlet `{chainlet}`: secret key {key!r} cannot be a file name; use letters, "
            "digits, '.', '_' and '-' only"
        )


def check_copy_path(chainlet: str, what: str, relative: str) -> None:
    """A path the Dockerfile names in a COPY instruction."""
    if not _PATH_SAFE.fullmatch(relative) or relative.startswith("-"):
        raise BuildError(
            f"chainlet `{chainlet}`: {what} {relative!r} has characters a Dockerfile COPY "
            "cannot name safely; use letters, digits, '_', '-' and '.' in file and folder names"
        )


_IMAGE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]*")
_EXECUTABLE = re.compile(r"/[A-Za-z0-9._/+-]+")


def check_image_reference(where: str, image: str) -> str:
    """An image name for ``FROM``, such as ``python:3.11-slim`` or ``registry:5000/x@sha256:..``."""
    if not _IMAGE_REFERENCE.fullmatch(image):
        raise BuildError(
            f"{where}: {image!r} is not a Docker image reference (like python:3.11-slim or "
            "registry.example.com/team/image:tag)"
        )
    return image


def check_executable(chainlet: str, path: str) -> str:
    """``CustomImage(python_executable_path=...)``: an absolute path, written into RUN."""
    if not _EXECUTABLE.fullmatch(path):
        raise BuildError(
            f"chainlet `{chainlet}`: python_executable_path {path!r} must be an absolute path "
            "such as /usr/bin/python3"
        )
    return path
