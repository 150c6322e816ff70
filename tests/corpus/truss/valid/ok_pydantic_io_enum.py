# truss: accept
# default: clean
# truss-profile: clean
# covers: pydantic models as input and output, with an enum field inside a model
import enum

import pydantic

import truss_chains as chains


class Modes(enum.Enum):
    MODE_0 = "MODE_0"
    MODE_1 = "MODE_1"


class SplitTextInput(pydantic.BaseModel):
    data: str
    num_partitions: int
    mode: Modes


class SplitTextOutput(pydantic.BaseModel):
    parts: list[str]
    part_lens: list[int]


class SplitText(chains.ChainletBase):
    async def run_remote(self, inputs: SplitTextInput) -> SplitTextOutput:
        size = max(1, len(inputs.data) // max(1, inputs.num_partitions))
        parts = [inputs.data[i : i + size] for i in range(0, len(inputs.data), size)]
        return SplitTextOutput(parts=parts, part_lens=[len(p) for p in parts])
