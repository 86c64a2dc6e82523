-- 0001: feeds with their poll schedule, stories seen, and the alert outbox.
-- The PostgreSQL schema follows the SQLite one migration for migration (same numbers, same meaning).
CREATE TABLE feeds (
    url                text PRIMARY KEY,
    name               text NOT NULL,
    etag               text,
    last_modified      text,
    body_hash          text,
    interval_s         double precision NOT NULL,
    next_poll          timestamptz NOT NULL,
    primed             boolean NOT NULL DEFAULT false,  -- true once a poll has recorded the feed's backlog
    consecutive_errors integer NOT NULL DEFAULT 0,
    last_status        text,
    last_error         text,
    last_polled        timestamptz,
    last_success       timestamptz,
    items_seen         integer NOT NULL DEFAULT 0
);

CREATE TABLE stories (
    key          text PRIMARY KEY,                           -- digest(feed url, item id)
    arrival      bigint GENERATED ALWAYS AS IDENTITY,        -- insertion order: breaks ties of fetched_at
    feed_url     text NOT NULL,
    item_id      text NOT NULL,
    identity     text NOT NULL,                              -- exact-duplicate identity across feeds
    cluster      text NOT NULL,                              -- key of the first story of its cluster
    source       text NOT NULL,
    title        text NOT NULL,
    summary      text NOT NULL,
    link         text NOT NULL,
    published    timestamptz NOT NULL,
    fetched_at   timestamptz NOT NULL,
    watchlists   jsonb NOT NULL DEFAULT '[]'                 -- matched watchlist names
);
CREATE UNIQUE INDEX stories_feed_item ON stories (feed_url, item_id);
CREATE INDEX stories_identity ON stories (identity, fetched_at);
CREATE INDEX stories_fetched ON stories (fetched_at);
CREATE INDEX stories_cluster ON stories (cluster);

CREATE TABLE outbox (
    alert_id     text PRIMARY KEY,                           -- stable per (cluster, destination)
    destination  text NOT NULL,
    cluster      text NOT NULL,
    payload      jsonb NOT NULL,                             -- the Alert
    status       text NOT NULL,                              -- pending | delivered | dead | dropped
    attempts     integer NOT NULL DEFAULT 0,
    next_attempt timestamptz NOT NULL,
    last_error   text,
    created_at   timestamptz NOT NULL,
    delivered_at timestamptz,
    seq          bigint GENERATED ALWAYS AS IDENTITY UNIQUE  -- detection order, for in-order delivery
);
CREATE INDEX outbox_due ON outbox (status, next_attempt);
CREATE INDEX outbox_cluster ON outbox (cluster);
