"""classify: every delivery result becomes an outcome here, from one table.

Keys are tried from the most to the least specific: a service's own error from the response body ("slack:…",
"discord:<code>", "teams:<status>"), the exact HTTP status, the status class ("4xx"), and for sends that got no
response, the exception's class (its MRO). Each service reads its bodies in its own module (slack.py, discord.py,
teams.py) and hands the key it found to `classify_response`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

import aiohttp

from monitor.deliver.outcome import Dead, Delivered, DeliveryOutcome, Disabled, Retry

Kind = type[Delivered] | type[Retry] | type[Dead] | type[Disabled]
Key = int | str | type[BaseException]


@dataclass(frozen=True, slots=True)
class Rule:
    kind: Kind
    reason: str
    throttled: bool = False  # Retry only: a rate-limit answer, held for the whole destination (outbox.py)


# fmt: off
RULES: Final[Mapping[Key, Rule]] = {
    # --- Slack incoming-webhook errors (plain-text body); more precise than the status they come with ---
    # The message itself is wrong: resending the same bytes fails the same way, so dead-letter it.
    "slack:invalid_payload": Rule(Dead, "Slack could not read this message"),  # 400
    "slack:no_text": Rule(Dead, "Slack found no text in this message"),  # 400
    "slack:missing_text_or_fallback_or_attachments": Rule(Dead, "Slack found no text in this message"),  # 400
    "slack:invalid_blocks": Rule(Dead, "Slack rejected this message's blocks"),  # 400: a Block Kit limit
    "slack:invalid_blocks_format": Rule(Dead, "Slack rejected this message's blocks"),  # 400
    "slack:too_many_attachments": Rule(Dead, "Slack refused this message's attachments"),  # 400
    "slack:user_not_found": Rule(Dead, "Slack could not find a user this message names"),  # 400
    # The webhook or its channel is gone or barred: every message would fail; hold them and tell the operator.
    "slack:no_service": Rule(Disabled, "the Slack webhook was removed or disabled"),  # 404
    "slack:no_service_id": Rule(Disabled, "the Slack webhook url is incomplete"),  # 400, but about the url
    "slack:no_team": Rule(Disabled, "the Slack workspace of this webhook does not exist"),  # 404
    "slack:team_disabled": Rule(Disabled, "the Slack workspace is disabled"),  # 404
    "slack:invalid_token": Rule(Disabled, "the Slack webhook token is invalid"),  # 403: needs a new url
    "slack:channel_not_found": Rule(Disabled, "the Slack channel does not exist"),  # 404
    "slack:channel_is_archived": Rule(Disabled, "the Slack channel is archived"),  # 410
    "slack:action_prohibited": Rule(Disabled, "a Slack admin restricts this webhook"),  # 403: admin must act
    # 403: only admins may post in #general, so every message would be refused
    "slack:posting_to_general_channel_denied": Rule(Disabled, "only Slack admins may post in this channel"),
    "slack:rollup_error": Rule(Retry, "Slack had an internal error"),  # 500: not our fault, try again
    # --- Slack Web API (chat.postMessage, bot token): HTTP 200 with {"ok": false, "error": "…"} (slack_api.py);
    # the rows above apply too (channel_not_found, invalid_blocks, no_text, …) ---
    "slack:msg_too_long": Rule(Dead, "the message is too long for Slack"),  # a property of this message
    "slack:invalid_arguments": Rule(Dead, "Slack refused an argument of this message"),
    # The channel or the token is unusable: every message would fail; hold them and tell the operator.
    "slack:not_in_channel": Rule(Disabled, "the Slack app is not in the channel (invite it to the channel)"),
    "slack:is_archived": Rule(Disabled, "the Slack channel is archived"),
    "slack:invalid_auth": Rule(Disabled, "Slack refused the bot token"),  # wrong, or of another workspace
    "slack:not_authed": Rule(Disabled, "Slack received no bot token"),
    "slack:token_revoked": Rule(Disabled, "the Slack bot token was revoked"),
    "slack:token_expired": Rule(Disabled, "the Slack bot token expired"),
    "slack:account_inactive": Rule(Disabled, "the Slack app's bot user was deactivated"),
    "slack:missing_scope": Rule(Disabled, "the Slack app lacks the chat:write scope"),
    "slack:not_allowed_token_type": Rule(Disabled, "Slack needs a bot token (xoxb-…) here"),
    "slack:restricted_action": Rule(Disabled, "a Slack workspace setting forbids the app to post here"),
    "slack:ratelimited": Rule(Retry, "Slack rate limited this app", throttled=True),  # 429 with Retry-After
    "slack:message_limit_exceeded": Rule(Retry, "Slack says too many messages are being sent", throttled=True),
    "slack:internal_error": Rule(Retry, "Slack had an internal error"),
    "slack:fatal_error": Rule(Retry, "Slack had an internal error"),
    "slack:service_unavailable": Rule(Retry, "Slack is unavailable"),
    "slack:request_timeout": Rule(Retry, "Slack timed out reading the message"),
    # a 200 whose "error" has no row above: the message was refused for a reason we do not know; and a 200
    # that is not the API's JSON at all (a proxy's page, a wrong api_url): it may pass, so try again
    "slack-api:unknown_error": Rule(Dead, "Slack refused this message"),
    "slack-api:unreadable": Rule(Retry, "the Slack API's answer could not be read (check api_url)"),
    # --- Discord: the JSON `code` of a non-2xx answer (developer docs: topics/opcodes-and-status-codes) ---
    "discord:10015": Rule(Disabled, "Discord does not know this webhook (it was deleted)"),  # 404 Unknown Webhook
    "discord:10003": Rule(Disabled, "the Discord channel of this webhook is gone"),  # 404 Unknown Channel
    # 401: the url's token was regenerated; unlike a generic 401 nothing on Discord's side will change it back
    "discord:50027": Rule(Disabled, "Discord refused the webhook token (the url was reset)"),
    "discord:50035": Rule(Dead, "Discord rejected a field of this message"),  # 400 Invalid Form Body: a limit
    "discord:50006": Rule(Dead, "Discord found nothing to show in this message"),  # 400 empty message
    "discord:40005": Rule(Dead, "the message is too large for Discord"),  # 413
    # --- Teams connectors answer 200 with "…returned HTTP error <status>…" in the body; that status counts,
    # and one without a row here falls back to its HTTP row below ---
    "teams:400": Rule(Dead, "Teams could not post this card"),  # a bad card: resending cannot help
    "teams:413": Rule(Dead, "the card is too large for Teams"),  # over 28 KB
    # no Retry-After comes with it: the schedule's first step waits, for the whole destination
    "teams:429": Rule(Retry, "Teams throttled this webhook", throttled=True),
    # --- exact HTTP statuses ---
    400: Rule(Dead, "the receiver rejected this alert"),  # malformed for this receiver: resending cannot help
    413: Rule(Dead, "the alert is too large for the receiver"),  # a property of this alert
    422: Rule(Dead, "the receiver could not process this alert"),  # well-formed but refused: same next time
    # 401/403: Retry, not Disabled. A receiver refusing our credentials is usually mid-change (a secret
    # rotation, an allow-list being updated) and gets fixed on its side; Retry resumes on the outbox schedule
    # by itself, while Disabled would hold every alert until a restart. Delivery is in order: none overtakes.
    401: Rule(Retry, "the receiver refused our credentials (check the signing secret)"),
    403: Rule(Retry, "the receiver forbids us (check its allow-list or secret)"),
    404: Rule(Disabled, "the url no longer exists"),  # every alert would get the same answer
    405: Rule(Disabled, "the url does not accept POST"),  # a wrong endpoint, not a bad alert
    410: Rule(Disabled, "the receiver is gone"),  # Standard Webhooks: 410 means stop sending
    408: Rule(Retry, "the receiver timed out reading the request"),  # transient
    425: Rule(Retry, "the receiver asked us to retry later"),  # Too Early: transient by definition
    429: Rule(Retry, "rate limited", throttled=True),  # wait at least its Retry-After
    503: Rule(Retry, "the receiver is unavailable"),  # often with a Retry-After
    # --- status classes, when no exact row matched ---
    "2xx": Rule(Delivered, "accepted"),
    # Redirects are never followed (allow_redirects=False): a POST re-sent elsewhere could leak signed alerts
    # to a host nobody configured, and every later alert would bounce the same way. The fix is a new url in
    # the config, so the destination is disabled (alerts stay queued) instead of dead-lettering each alert.
    "3xx": Rule(Disabled, "redirect not followed; put the new location in the config"),
    "4xx": Rule(Dead, "the receiver refused this alert"),  # any other client error concerns this alert
    "5xx": Rule(Retry, "the receiver failed"),  # server trouble is expected to pass
    # --- no response at all ---
    aiohttp.ServerTimeoutError: Rule(Retry, "timed out"),  # also a ClientConnectionError: name it first
    TimeoutError: Rule(Retry, "timed out"),  # the destination's timeout elapsed
    aiohttp.InvalidURL: Rule(Disabled, "the url is invalid"),  # a config problem, the same for every alert
    aiohttp.ClientConnectionError: Rule(Retry, "could not connect"),  # refused, reset, DNS, TLS: may recover
    aiohttp.ClientError: Rule(Retry, "HTTP error"),  # any other client failure (bad response framing, …)
    UnicodeError: Rule(Dead, "the console cannot encode this alert"),  # the stream's encoding, this text
    OSError: Rule(Retry, "writing failed"),  # console stream: a closed pipe or full disk may recover
}
# fmt: on
UNEXPECTED: Final = Rule(Retry, "unexpected HTTP status")  # 1xx or nonsense: assume it passes
# A server asking for longer is asked again then; a huge value would also overflow the outbox's datetime.
MAX_RETRY_AFTER: Final = 86_400.0
DETAIL_LIMIT: Final = 200  # characters of a server's Location or an error message kept in a reason (logged)


def classify_response(
    status: int,
    headers: Mapping[str, str],
    now: datetime,
    error: str | None = None,
    *,
    counts_as: int | None = None,
    after: float | None = None,
) -> DeliveryOutcome:
    """An HTTP response → an outcome.

    `error`: a service's key for what its body said ("slack:no_service"); its row wins when there is one.
    `counts_as`: the status whose rows apply otherwise (Teams wraps a failure in a 200), default `status`.
    `after`: seconds to wait before a retry, when the service says so in its body; else the Retry-After header.
    """
    label = f"HTTP {status}"
    rule = RULES.get(error) if error else None
    if error and rule is not None:
        label += f" {error.partition(':')[2]}"
    else:
        effective = status if counts_as is None else counts_as
        rule = RULES.get(effective) or RULES.get(f"{effective // 100}xx") or UNEXPECTED
    detail = ""
    if counts_as is not None and counts_as != status:
        detail = f" (the body reports HTTP {counts_as})"
    elif 300 <= status < 400 and (location := headers.get("Location")):
        detail = f" (to {location[:DETAIL_LIMIT]})"
    if after is None:
        after = retry_after(headers.get("Retry-After"), now)
    return _outcome(rule, f"{label}: {rule.reason}{detail}", after)


def classify_exception(exc: BaseException) -> DeliveryOutcome:
    """A send that raised an expected exception → an outcome. One not in the table is a bug: re-raised."""
    for cls in type(exc).__mro__:
        rule = RULES.get(cls)
        if rule is not None:
            text = (str(exc) or type(exc).__name__)[:DETAIL_LIMIT]
            return _outcome(rule, f"{rule.reason}: {text}", None)
    raise exc


def retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After in seconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3), else None."""
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return min(float(value), MAX_RETRY_AFTER)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000" parses naive; HTTP dates are always GMT
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - now).total_seconds()), MAX_RETRY_AFTER)


def _outcome(rule: Rule, reason: str, after: float | None) -> DeliveryOutcome:
    if rule.kind is Delivered:
        return Delivered()
    if rule.kind is Retry:
        return Retry(reason, after, rule.throttled)
    if rule.kind is Dead:
        return Dead(reason)
    return Disabled(reason)
