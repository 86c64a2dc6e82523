-- 0007: WebSub subscriptions, one per feed (monitor/websub/).
CREATE TABLE websub_subscriptions (
    feed_url      text PRIMARY KEY,
    topic         text NOT NULL,
    hub           text NOT NULL,
    callback_id   text NOT NULL UNIQUE,
    secret        text NOT NULL,
    state         text NOT NULL,
    next_attempt  timestamptz NOT NULL,
    lease_seconds integer,
    expires_at    timestamptz,
    requested_at  timestamptz,
    attempts      integer NOT NULL DEFAULT 0,
    last_error    text,
    hubs          text NOT NULL DEFAULT '[]'
);
