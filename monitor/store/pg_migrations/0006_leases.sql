-- 0006: several instances on one database.
-- A feed is leased to the instance polling it (claimed with FOR UPDATE SKIP LOCKED, freed when the poll is
-- recorded, taken over when lease_until passes); one instance at a time sends for a destination; and stories
-- are read back in arrival order by the instances that did not record them (arrival is assigned under the
-- detection lock, so it is also commit order).
ALTER TABLE feeds
    ADD COLUMN lease_owner text,
    ADD COLUMN lease_until timestamptz;
CREATE TABLE destination_leases (
    destination text PRIMARY KEY,
    owner       text NOT NULL,
    lease_until timestamptz NOT NULL
);
CREATE INDEX stories_arrival ON stories (arrival);
