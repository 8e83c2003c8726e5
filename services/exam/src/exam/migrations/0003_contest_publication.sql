-- Contests are drafts until published; those created before this existed were already visible.
ALTER TABLE contests ADD COLUMN published_at timestamptz;
UPDATE contests SET published_at = created_at;
