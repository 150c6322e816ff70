"""The concept guide's pydantic I/O example, made into a chain under its named entrypoint.

The guide shows the ``Modes`` enum and the ``SplitTextInput`` / ``SplitTextOutput`` models, and,
separately, ``@chains.mark_entrypoint("My Awesome Chain")`` giving a chain its display name.
Here a ``SplitText`` chainlet takes and returns those models, and the entrypoint that calls it
carries the guide's chain name, so the models cross the wire twice: client -> ``TextSplitter``
-> ``SplitText`` and back.

What the guide leaves wrong: ``num_partitions: int`` accepts ``0`` and negative numbers, which
no text can be split into (the split would divide by zero inside the chainlet). Here the field
requires at least 1, so such a request is refused with a validation error naming
``num_partitions`` before any chainlet code runs. The guide does not say what the modes mean;
here ``MODE_0`` cuts by characters and ``MODE_1`` at word boundaries.
"""

import enum

import pydantic
import truss_chains as chains


class Modes(enum.Enum):
    MODE_0 = "MODE_0"  # equal runs of characters
    MODE_1 = "MODE_1"  # equal numbers of whole words


class SplitTextInput(pydantic.BaseModel):
    data: str
    num_partitions: int = pydantic.Field(ge=1)
    mode: Modes


class SplitTextOutput(pydantic.BaseModel):
    parts: list[str]
    part_lens: list[int]


def _even_slices(count: int, partitions: int) -> list[tuple[int, int]]:
    """``partitions`` contiguous ``(start, stop)`` ranges over ``count`` items, sizes +-1."""
    size, extra = divmod(count, partitions)
    slices = []
    start = 0
    for index in range(partitions):
        stop = start + size + (1 if index < extra else 0)
        slices.append((start, stop))
        start = stop
    return slices


class SplitText(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=[]),
        compute=chains.Compute(cpu_count=1, memory="512Mi"),
    )

    async def run_remote(self, inputs: SplitTextInput) -> SplitTextOutput:
        if inputs.mode is Modes.MODE_0:
            parts = [
                inputs.data[start:stop]
                for start, stop in _even_slices(len(inputs.data), inputs.num_partitions)
            ]
        else:
            words = inputs.data.split()
            parts = [
                " ".join(words[start:stop])
                for start, stop in _even_slices(len(words), inputs.num_partitions)
            ]
        return SplitTextOutput(parts=parts, part_lens=[len(part) for part in parts])


@chains.mark_entrypoint("My Awesome Chain")
class TextSplitter(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(cpu_count=1, memory="512Mi"))

    def __init__(self, split_text: SplitText = chains.depends(SplitText, retries=2)) -> None:
        self._split_text = split_text

    async def run_remote(self, inputs: SplitTextInput) -> SplitTextOutput:
        return await self._split_text.run_remote(inputs)
