"""CH701-CH749: ``remote_config = RemoteConfig(...)``: its structure, values and names.

The rules read the config calls through ``config_arguments`` (read once per config);
``examples`` builds the chain file most of their examples are, ``messages`` holds the
wording they share.
"""

from __future__ import annotations

from chains_lint.rules.base import Rule
from chains_lint.rules.remote_config.cached_weights import (
    CachedModelRepoInvalid,
    TrussCachedModelRepo,
)
from chains_lint.rules.remote_config.counts import (
    InvalidCpuCount,
    InvalidGpuCount,
    InvalidPredictConcurrency,
)
from chains_lint.rules.remote_config.display_name import DuplicateDisplayName, InvalidDisplayName
from chains_lint.rules.remote_config.gpu import GpuCountWithoutGpu, UnknownGpu, gpu_message
from chains_lint.rules.remote_config.instance_type import (
    InstanceTypeOverridesResources,
    InvalidInstanceType,
)
from chains_lint.rules.remote_config.lists import ConfigNotAList, NewlineInBuildEntry
from chains_lint.rules.remote_config.memory import InvalidMemory, MemoryTooSmall
from chains_lint.rules.remote_config.not_static import ConfigValueNotStatic
from chains_lint.rules.remote_config.plain_strings import PlainStringPath, StringBaseImage
from chains_lint.rules.remote_config.positional_argument import PositionalConfigArgument
from chains_lint.rules.remote_config.requirements import (
    ConfigPathNotFound,
    ConflictingRequirements,
)
from chains_lint.rules.remote_config.torch_pin import UnpinnedTorchOnGpu
from chains_lint.rules.remote_config.transport import TransportEndpointMismatch
from chains_lint.rules.remote_config.unknown_argument import UnknownConfigArgument
from chains_lint.rules.remote_config.value_type import ConfigValueType
from chains_lint.rules.remote_config.wrong_type import RemoteConfigWrongType

RULES: tuple[type[Rule], ...] = (
    RemoteConfigWrongType,
    UnknownConfigArgument,
    PositionalConfigArgument,
    ConfigValueNotStatic,
    UnknownGpu,
    InvalidMemory,
    MemoryTooSmall,
    InvalidCpuCount,
    InvalidGpuCount,
    InvalidPredictConcurrency,
    GpuCountWithoutGpu,
    InvalidInstanceType,
    InstanceTypeOverridesResources,
    InvalidDisplayName,
    DuplicateDisplayName,
    ConfigNotAList,
    NewlineInBuildEntry,
    StringBaseImage,
    PlainStringPath,
    ConflictingRequirements,
    ConfigPathNotFound,
    ConfigValueType,
    UnpinnedTorchOnGpu,
    TransportEndpointMismatch,
    CachedModelRepoInvalid,
    TrussCachedModelRepo,
)

__all__ = ["RULES", "gpu_message"]
