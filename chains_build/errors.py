"""The one error type of chains-build: a problem with the user's input, said in one line."""

from __future__ import annotations


class BuildError(Exception):
    """Bad input for the build; ``message`` names what is wrong and how to fix it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
