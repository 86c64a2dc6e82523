-- 0002: where a feed is fetched from once it has moved (301/308 seen consistently), and the move in progress.
ALTER TABLE feeds
    ADD COLUMN fetch_url text,
    ADD COLUMN redirect_candidate text,
    ADD COLUMN redirect_count integer NOT NULL DEFAULT 0;
