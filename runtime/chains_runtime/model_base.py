"""``ModelBase``: a single-model deployment whose endpoint is ``predict``, served like a
one-chainlet chain.

As in ``truss_chains`` 0.18.36, a model is its own entrypoint, takes at most the
``context=chains.depends_context()`` argument in ``__init__`` (no dependencies) and must
define ``predict`` (sync, async or an async generator, typed like ``run_remote``). Here a
model is a ``ChainletBase`` whose ``run_remote`` is its ``predict``, so everything that serves,
runs, builds or calls a chainlet serves a model unchanged; the server answers ``POST /predict``
(the path Baseten's model URLs end in) as well as ``POST /run_remote``.
"""

from __future__ import annotations

import abc
import inspect
from typing import Any, Final

from chains_runtime.chainlet import ChainletBase
from chains_runtime.errors import ChainsUsageError
from chains_runtime.injection import DependencyMarker
from chains_runtime.protocol import RUN_REMOTE_PATH

PREDICT_METHOD: Final = "predict"
PREDICT_PATH: Final = "/predict"
"""Where a model's ``predict`` is served (``/run_remote`` serves it too)."""
RUN_REMOTE_METHOD: Final = "run_remote"


class ModelBase(ChainletBase):
    """Base class of a standalone model: ``predict`` is its endpoint.

    Its ``__init__`` may take ``context: chains.DeploymentContext = chains.depends_context()``
    and nothing else: a model has no dependencies.
    """

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        predict = getattr(cls, PREDICT_METHOD, None)
        if predict is None or getattr(predict, "__isabstractmethod__", False):
            raise ChainsUsageError(
                f"model `{cls.__name__}` has no `{PREDICT_METHOD}` method; a ModelBase's "
                f"endpoint is `{PREDICT_METHOD}`: add e.g. "
                f"`async def {PREDICT_METHOD}(self, text: str) -> str`"
            )
        if not inspect.isfunction(predict):
            raise ChainsUsageError(
                f"`{cls.__name__}.{PREDICT_METHOD}` must be a method (a `def` or "
                f"`async def`), got {type(predict).__name__}"
            )
        for name, parameter in inspect.signature(cls.__init__).parameters.items():
            if isinstance(parameter.default, DependencyMarker):
                raise ChainsUsageError(
                    f"model `{cls.__name__}` declares the dependency `{name}` in "
                    "`__init__`; a ModelBase takes only the optional "
                    "`context=chains.depends_context()` argument: use a ChainletBase chain "
                    "for models that call other chainlets"
                )
        # The endpoint every server, client and runner calls; predict stays as written.
        cls.run_remote = predict  # type: ignore[attr-defined]

    @abc.abstractmethod
    def predict(self, *args: Any, **kwargs: Any) -> Any:
        """The model's endpoint: its arguments by name, its result as JSON."""


def is_model(chainlet_cls: type) -> bool:
    """True for a ``ModelBase`` subclass (served at ``/predict`` too)."""
    return issubclass(chainlet_cls, ModelBase)


def endpoint_name(chainlet_cls: type) -> str:
    """The endpoint's name as its author wrote it, for messages: ``predict`` for a model
    (whose ``run_remote`` is its ``predict``), else ``run_remote``."""
    return PREDICT_METHOD if is_model(chainlet_cls) else RUN_REMOTE_METHOD


def endpoint_path(chainlet_cls: type) -> str:
    """The path a caller is told to use: ``/predict`` for a model, else ``/run_remote``."""
    return PREDICT_PATH if is_model(chainlet_cls) else RUN_REMOTE_PATH
