-- 0004: destinations disabled after an answer saying they are gone, kept across restarts. `fingerprint` is a
-- digest of the destination's config when it was disabled: a different config re-enables it.
CREATE TABLE disabled_destinations (
    name         text PRIMARY KEY,
    reason       text NOT NULL,
    since        timestamptz NOT NULL,
    fingerprint  text NOT NULL
);
