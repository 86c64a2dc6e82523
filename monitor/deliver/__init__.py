"""deliver: alerts leave wiremon here, one sink per configured destination.

Sinks never raise for an expected failure: every result is classified (classify.py, one table) into
Delivered, Retry, Dead or Disabled, and the outbox acts on that.
"""

from monitor.deliver.outcome import Dead, Delivered, DeliveryOutcome, Disabled, Retry, Sink
from monitor.deliver.registry import SINK_TYPES, build_sinks

__all__ = [
    "SINK_TYPES",
    "Dead",
    "Delivered",
    "DeliveryOutcome",
    "Disabled",
    "Retry",
    "Sink",
    "build_sinks",
]
