"""CH201-CH259: whether the types in a ``run_remote`` signature can travel between chainlets.

Arguments and results of ``run_remote`` cross the network as JSON, through
pydantic. The default rules (CH201-CH205) ask :mod:`json_safety` whether each
parameter type, the return type and the type of streamed items can make that
trip. The truss rules (CH250-CH258) report what ``truss_chains`` rejects on top,
mirroring ``truss_chains.framework``: ``_validate_io_type``,
``_validate_endpoint_output_types`` and ``_validate_streaming_output_type``.
CH259 (every profile) checks the shape of a websocket endpoint, as
``_validate_websocket_endpoint`` and chains_runtime do.

The shape of ``run_remote`` (missing annotations, ``yield`` without a stream
type, ``AsyncGenerator`` in truss...) is for the CH1xx rules; a ``run_remote``
inherited from a file that is not linted is reported at the subclass, as they do.
"""

from __future__ import annotations

from chains_lint.rules.base import Rule
from chains_lint.rules.io_types.json_rules import (
    IoBytesInModel,
    IoClassNotTopLevel,
    IoTypeNotJson,
    IoTypeUntyped,
    IoTypeUnverifiable,
)
from chains_lint.rules.io_types.truss_container_rules import (
    TrussBareContainer,
    TrussContainerItemType,
    TrussTypingContainer,
    TrussUnsupportedContainer,
)
from chains_lint.rules.io_types.truss_output_rules import (
    TrussStreamItemType,
    TrussVariadicTupleReturn,
)
from chains_lint.rules.io_types.truss_type_rules import (
    TrussStringAnnotation,
    TrussTypeNeedsModel,
    TrussUnionType,
)
from chains_lint.rules.io_types.websocket_endpoint import WebSocketEndpoint

RULES: tuple[type[Rule], ...] = (
    IoTypeNotJson,
    IoTypeUnverifiable,
    IoBytesInModel,
    IoTypeUntyped,
    IoClassNotTopLevel,
    TrussStringAnnotation,
    TrussUnionType,
    TrussContainerItemType,
    TrussTypingContainer,
    TrussUnsupportedContainer,
    TrussBareContainer,
    TrussTypeNeedsModel,
    TrussVariadicTupleReturn,
    TrussStreamItemType,
    WebSocketEndpoint,
)
