"""deliver: alerts leave wiremon here, one sink per configured destination.

Sinks never raise for an expected failure: every result is classified (classify.py, one table) into
Delivered, Retry, Dead or Disabled, and the outbox acts on that. A sink may carry a `limiter` (ratelimit.py:
read it with `limiter_of(sink)`) saying how fast its destination may be sent to.

When alerts go is decided in cadence.py (retry schedule with jitter, digest windows, quiet hours; pure), from a
DeliveryPolicy (policy.py) built from the settings. Digests and operator notices (notice.py, ops.py) are rendered
for each sink type in message.py.
"""

from monitor.deliver.outcome import Dead, Delivered, DeliveryOutcome, Disabled, Retry, Sink
from monitor.deliver.ratelimit import RateLimit, limiter_of
from monitor.deliver.registry import SINK_TYPES, build_sinks

__all__ = [
    "SINK_TYPES",
    "Dead",
    "Delivered",
    "DeliveryOutcome",
    "Disabled",
    "RateLimit",
    "Retry",
    "Sink",
    "build_sinks",
    "limiter_of",
]
