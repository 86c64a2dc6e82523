-- 0008: each tick asks which feeds are due: with ten thousand feeds that must not read them all.
CREATE INDEX IF NOT EXISTS feeds_next_poll ON feeds (next_poll);
