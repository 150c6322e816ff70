"""The chain file most examples of the group are: one chainlet and its ``remote_config``."""

from __future__ import annotations


def chainlet_example(remote_config: str, *, imports: str = "", constants: str = "") -> str:
    """A chain file whose chainlet ``Model`` has ``remote_config = <remote_config>``.

    ``remote_config`` is inserted as given: lines after its first are written with the
    indentation they have in the class body. ``imports`` come before the SDK import,
    ``constants`` after it.
    """
    return (
        f"\n{imports}import truss_chains as chains\n\n{constants}\n"
        "class Model(chains.ChainletBase):\n"
        f"    remote_config = {remote_config}\n"
        "\n"
        "    async def run_remote(self, prompt: str) -> str:\n"
        "        return prompt\n"
    )


# A chainlet whose requirements file is given with make_abs_path_here (CH719, CH721).
REQUIREMENTS_FILE_EXAMPLE = chainlet_example("""chains.RemoteConfig(
        docker_image=chains.DockerImage(
            requirements_file=chains.make_abs_path_here("requirements.txt"),
        ),
    )""")
