"""policy: how each destination is paced, and what identifies its config — derived from the settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from monitor.deliver.cadence import Cadence
from monitor.model import digest
from monitor.settings.models import DestinationConfig, Settings


def fingerprint(config: DestinationConfig) -> str:
    """A digest of everything in a destination's config: any edit to it gives another fingerprint."""
    return digest(config.model_dump_json(), size=16)


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    cadences: Mapping[str, Cadence] = field(default_factory=dict)  # destination → its pace; absent: the default
    fingerprints: Mapping[str, str] = field(default_factory=dict)  # destination → fingerprint of its config
    ops: str | None = None  # the destination that gets operator notices

    @classmethod
    def of(cls, settings: Settings) -> DeliveryPolicy:
        destinations = settings.effective_destinations()
        return cls(
            cadences={d.name: Cadence.of(d) for d in destinations},
            fingerprints={d.name: fingerprint(d) for d in destinations},
            ops=settings.ops,
        )

    def cadence(self, destination: str) -> Cadence:
        return self.cadences.get(destination) or Cadence()
