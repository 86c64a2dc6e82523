-- 0005: where the first message of each cluster went in a threaded destination (a Slack channel, posted with a
-- bot token), so that later copies and follow-ups of the story reply in its thread.
CREATE TABLE threads (
    cluster     text NOT NULL,                 -- key of the first story of the cluster
    destination text NOT NULL,
    channel     text NOT NULL,                 -- the channel id Slack answered with
    ts          text NOT NULL,                 -- the message's ts: replies carry it as thread_ts
    alert_id    text NOT NULL,                 -- the alert that posted it
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (cluster, destination)
);
