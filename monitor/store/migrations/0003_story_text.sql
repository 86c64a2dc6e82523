-- 0003: the story's full text (capped), so that near-duplicate state can be rebuilt after a restart.
ALTER TABLE stories ADD COLUMN content TEXT NOT NULL DEFAULT ''
