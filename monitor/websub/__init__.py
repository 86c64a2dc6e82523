"""websub: push where a feed offers it (W3C WebSub). A subscriber for feeds that advertise a hub.

Pure parts: ``discover`` (hubs and topic from Link headers and the feed's own links), ``signature``
(X-Hub-Signature), ``lease`` (when to subscribe, renew, retry, give up; the heartbeat interval). I/O shell:
``client`` (requests to hubs) and ``subscriber`` (state in the store, the callback's answers), owned by the
daemon. README.md ("Push: WebSub") is the reference.
"""

from monitor.websub.client import HubAnswer, HubClient
from monitor.websub.discover import NOTHING, Discovery, discover, parse_link_header
from monitor.websub.signature import check_signature, sign
from monitor.websub.subscriber import Subscriber

__all__ = [
    "NOTHING",
    "Discovery",
    "HubAnswer",
    "HubClient",
    "Subscriber",
    "check_signature",
    "discover",
    "parse_link_header",
    "sign",
]
