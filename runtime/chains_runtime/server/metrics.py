"""Request metrics of one chainlet server, in the Prometheus text format (version 0.0.4).

No registry, no locks: every update runs on the server's event loop thread, and is an integer
or float addition on a plain attribute. Label strings are built when ``/metrics`` is scraped,
which is rare next to the requests it counts.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable
from typing import Final, Protocol, runtime_checkable

METRICS_CONTENT_TYPE: Final = "text/plain; version=0.0.4; charset=utf-8"

DURATION_BUCKETS_SEC: Final = (
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
)
"""Upper bounds of the duration histograms: from a millisecond to a five-minute generation."""


@runtime_checkable
class MetricsSource(Protocol):
    """Something that adds its own samples to a chainlet's ``/metrics`` (e.g. remote stubs)."""

    def render_metrics(self) -> str:
        """Complete metric families (``# HELP``, ``# TYPE`` and samples), newline-terminated."""


class Histogram:
    """Cumulative-bucket histogram; ``observe`` is a bisect and two additions."""

    __slots__ = ("_bounds", "_counts", "sum", "total")

    def __init__(self, bounds: Iterable[float] = DURATION_BUCKETS_SEC) -> None:
        self._bounds = tuple(sorted(bounds))
        self._counts = [0] * (len(self._bounds) + 1)  # the last one is +Inf
        self.total = 0
        self.sum = 0.0

    def observe(self, value: float) -> None:
        self._counts[bisect.bisect_left(self._bounds, value)] += 1
        self.total += 1
        self.sum += value

    def cumulative(self) -> list[tuple[str, int]]:
        """``(le, count of observations <= le)`` for every bound, then ``+Inf``."""
        buckets: list[tuple[str, int]] = []
        running = 0
        for bound, count in zip((*self._bounds, math.inf), self._counts, strict=True):
            running += count
            buckets.append((_number(bound), running))
        return buckets


class ChainletMetrics:
    """What ``/metrics`` reports for the chainlet's ``run_remote`` requests."""

    __slots__ = (
        "_chainlet",
        "_queue_waiting",
        "duration",
        "in_flight",
        "queue_rejections",
        "status_counts",
        "stream_errors",
    )

    def __init__(self, chainlet: str, queue_waiting: Callable[[], int] = lambda: 0) -> None:
        self._chainlet = chainlet
        self._queue_waiting = queue_waiting
        self.status_counts = [0] * 600  # indexed by HTTP status: no hashing per request
        self.duration = Histogram()
        self.in_flight = 0
        self.queue_rejections = 0
        self.stream_errors = 0

    def record(self, status: int, seconds: float) -> None:
        """One answered ``run_remote`` request (its status and time from arrival to last byte)."""
        self.status_counts[status] += 1
        self.duration.observe(seconds)

    def render(self) -> str:
        chainlet = f'chainlet="{escape_label(self._chainlet)}"'
        out = Exposition()
        requests = out.family(
            "chains_requests_total", "counter", "run_remote requests answered, by HTTP status."
        )
        for status, count in enumerate(self.status_counts):
            if count:
                requests.append(f'chains_requests_total{{{chainlet},status="{status}"}} {count}')
        durations = out.family(
            "chains_request_duration_seconds",
            "histogram",
            "Time from a run_remote request's arrival to its last response byte.",
        )
        histogram_samples(durations, "chains_request_duration_seconds", chainlet, self.duration)
        out.family(
            "chains_requests_in_flight", "gauge", "run_remote requests being served or queued."
        ).append(f"chains_requests_in_flight{{{chainlet}}} {self.in_flight}")
        out.family(
            "chains_queue_waiting", "gauge", "run_remote requests waiting for a free slot."
        ).append(f"chains_queue_waiting{{{chainlet}}} {self._queue_waiting()}")
        out.family(
            "chains_queue_rejections_total",
            "counter",
            "run_remote requests refused with 503 because the queue was full.",
        ).append(f"chains_queue_rejections_total{{{chainlet}}} {self.queue_rejections}")
        out.family(
            "chains_stream_errors_total",
            "counter",
            "Streamed run_remote responses that ended with an error frame.",
        ).append(f"chains_stream_errors_total{{{chainlet}}} {self.stream_errors}")
        return out.text()


class Exposition:
    """Metric families in the order they are opened, each with its HELP and TYPE lines."""

    def __init__(self) -> None:
        self._lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> list[str]:
        self._lines.append(f"# HELP {name} {help_text}")
        self._lines.append(f"# TYPE {name} {kind}")
        return self._lines

    def text(self) -> str:
        return "\n".join(self._lines) + "\n"


def histogram_samples(lines: list[str], name: str, labels: str, histogram: Histogram) -> None:
    """The ``_bucket``, ``_sum`` and ``_count`` samples of one labelled histogram."""
    for le, count in histogram.cumulative():
        lines.append(f'{name}_bucket{{{labels},le="{le}"}} {count}')
    lines.append(f"{name}_sum{{{labels}}} {_number(histogram.sum)}")
    lines.append(f"{name}_count{{{labels}}} {histogram.total}")


def escape_label(value: str) -> str:
    """A label value as the text format wants it: backslash, quote and newline escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _number(value: float) -> str:
    if value == math.inf:
        return "+Inf"
    return repr(float(value))


DEPENDENCY_OUTCOMES: Final = ("ok", "remote_error", "timeout", "unavailable", "failed")
"""How a dependency call ended: a result; an error envelope from the dependency (its user code
or its own dependencies failed); a read timeout; not reachable (after retries); anything else."""


class DependencyMetrics:
    """Calls a chainlet made to its dependencies, by dependency and outcome.

    Each dependency's counters are created up front, so recording never inserts into a dict;
    all calls of one dependency are recorded from one thread (the server's loop for async
    stubs, the stubs' background loop for sync ones).
    """

    def __init__(self, caller: str, dependencies: Iterable[str]) -> None:
        self._caller = caller
        self._counts = {name: dict.fromkeys(DEPENDENCY_OUTCOMES, 0) for name in dependencies}
        self._durations = {name: Histogram() for name in self._counts}

    def record(self, dependency: str, outcome: str, seconds: float) -> None:
        self._counts[dependency][outcome] += 1
        self._durations[dependency].observe(seconds)

    def render_metrics(self) -> str:
        if not self._counts:
            return ""
        out = Exposition()
        caller = f'chainlet="{escape_label(self._caller)}"'
        calls = out.family(
            "chains_dependency_calls_total",
            "counter",
            "Calls to dependency chainlets, by dependency and outcome.",
        )
        for name in sorted(self._counts):
            labels = f'{caller},dependency="{escape_label(name)}"'
            for outcome, count in self._counts[name].items():
                calls.append(
                    f'chains_dependency_calls_total{{{labels},outcome="{outcome}"}} {count}'
                )
        name = "chains_dependency_call_duration_seconds"
        durations = out.family(name, "histogram", "Time of one dependency call, retries included.")
        for dependency in sorted(self._durations):
            labels = f'{caller},dependency="{escape_label(dependency)}"'
            histogram_samples(durations, name, labels, self._durations[dependency])
        return out.text()
