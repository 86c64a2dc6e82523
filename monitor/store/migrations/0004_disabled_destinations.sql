-- 0004: destinations disabled after an answer saying they are gone, kept across restarts. `fingerprint` is a
-- digest of the destination's config when it was disabled: a different config re-enables it.
CREATE TABLE disabled_destinations (
    name         TEXT PRIMARY KEY,
    reason       TEXT NOT NULL,
    since        TEXT NOT NULL,                -- ISO-8601 UTC
    fingerprint  TEXT NOT NULL
)
