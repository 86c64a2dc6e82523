-- 0006: the leases of a shared store (see pg_migrations/0006), kept here so both backends behave alike.
-- SQLite serves one instance, which holds every lease, and rowid is the stories' arrival order.
ALTER TABLE feeds ADD COLUMN lease_owner TEXT;
ALTER TABLE feeds ADD COLUMN lease_until TEXT;
CREATE TABLE destination_leases (
    destination TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    lease_until TEXT NOT NULL
)
