"""CH501-CH511: calls to dependencies (``self._dep.run_remote(...)``).

Each call is checked against the callee's ``run_remote``: whether it is async,
streaming or sync decides how its result must be used (awaited, iterated with
``async for``, or used directly), and its signature decides which arguments
the call may pass. The callee is looked up in the chain model, so it may live
in another file.
"""

from __future__ import annotations

from chains_lint.rules.base import Rule
from chains_lint.rules.calls.argument_rules import (
    DuplicateArgument,
    MissingArgument,
    OmittedDefaultArgument,
    TooManyPositionalArguments,
    UnknownKeywordArgument,
)
from chains_lint.rules.calls.awaited import AwaitStreamingDependency, AwaitSyncDependency
from chains_lint.rules.calls.iteration import StreamDiscarded, WrongIterationOverDependency
from chains_lint.rules.calls.member_access import DependencyMemberAccessRule
from chains_lint.rules.calls.never_awaited import CoroutineNeverAwaited

RULES: tuple[type[Rule], ...] = (
    CoroutineNeverAwaited,
    AwaitSyncDependency,
    AwaitStreamingDependency,
    WrongIterationOverDependency,
    StreamDiscarded,
    MissingArgument,
    UnknownKeywordArgument,
    TooManyPositionalArguments,
    DuplicateArgument,
    OmittedDefaultArgument,
    DependencyMemberAccessRule,
)
