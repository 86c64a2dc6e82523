-- 0005: where the first message of each cluster went in a threaded destination (a Slack channel, posted with a
-- bot token), so that later copies and follow-ups of the story reply in its thread.
CREATE TABLE threads (
    cluster     TEXT NOT NULL,                 -- key of the first story of the cluster
    destination TEXT NOT NULL,
    channel     TEXT NOT NULL,                 -- the channel id Slack answered with
    ts          TEXT NOT NULL,                 -- the message's ts: replies carry it as thread_ts
    alert_id    TEXT NOT NULL,                 -- the alert that posted it
    created_at  TEXT NOT NULL,
    PRIMARY KEY (cluster, destination)
);
-- which destinations a cluster alerted, read when a later copy arrives
CREATE INDEX IF NOT EXISTS outbox_cluster ON outbox (cluster)
