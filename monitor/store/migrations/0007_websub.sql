-- 0007: WebSub subscriptions, one per feed (monitor/websub/), times as ISO 8601 UTC text.
CREATE TABLE websub_subscriptions (
    feed_url      TEXT PRIMARY KEY,
    topic         TEXT NOT NULL,
    hub           TEXT NOT NULL,
    callback_id   TEXT NOT NULL UNIQUE,
    secret        TEXT NOT NULL,
    state         TEXT NOT NULL,
    next_attempt  TEXT NOT NULL,
    lease_seconds INTEGER,
    expires_at    TEXT,
    requested_at  TEXT,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    hubs          TEXT NOT NULL DEFAULT '[]'
)
