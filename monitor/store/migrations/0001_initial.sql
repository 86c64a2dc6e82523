-- 0001: feeds with their poll schedule, stories seen, and the alert outbox.
CREATE TABLE feeds (
    url                TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    etag               TEXT,
    last_modified      TEXT,
    body_hash          TEXT,
    interval_s         REAL NOT NULL,
    next_poll          TEXT NOT NULL,          -- ISO-8601 UTC
    primed             INTEGER NOT NULL DEFAULT 0,  -- 1 once a poll has recorded the feed's backlog
    consecutive_errors INTEGER NOT NULL DEFAULT 0,
    last_status        TEXT,
    last_error         TEXT,
    last_polled        TEXT,
    last_success       TEXT,
    items_seen         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE stories (
    key          TEXT PRIMARY KEY,             -- digest(feed url, item id)
    feed_url     TEXT NOT NULL,
    item_id      TEXT NOT NULL,
    identity     TEXT NOT NULL,                -- exact-duplicate identity across feeds
    cluster      TEXT NOT NULL,                -- key of the first story of its cluster
    source       TEXT NOT NULL,
    title        TEXT NOT NULL,
    summary      TEXT NOT NULL,
    link         TEXT NOT NULL,
    published    TEXT NOT NULL,
    fetched_at   TEXT NOT NULL,
    watchlists   TEXT NOT NULL DEFAULT '[]'    -- JSON list of matched watchlist names
);
CREATE UNIQUE INDEX stories_feed_item ON stories (feed_url, item_id);
CREATE INDEX stories_identity ON stories (identity, fetched_at);
CREATE INDEX stories_fetched ON stories (fetched_at);

CREATE TABLE outbox (
    alert_id     TEXT PRIMARY KEY,             -- stable per (cluster, destination): a retry is never a new alert
    destination  TEXT NOT NULL,
    cluster      TEXT NOT NULL,
    payload      TEXT NOT NULL,                -- the Alert as JSON
    status       TEXT NOT NULL,                -- pending | delivered | dead
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_attempt TEXT NOT NULL,
    last_error   TEXT,
    created_at   TEXT NOT NULL,
    delivered_at TEXT,
    seq          INTEGER NOT NULL              -- detection order, for in-order delivery
);
CREATE INDEX outbox_due ON outbox (status, next_attempt);
