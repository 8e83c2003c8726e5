-- A final round may invite the prize winners of qualifying rounds, as their results come out.
ALTER TABLE rounds ADD COLUMN finalists_from text[] NOT NULL DEFAULT '{}';
CREATE INDEX rounds_finalists_from ON rounds USING gin (finalists_from);

-- The newest results revision seen per round, so an older copy never acts again.
CREATE TABLE round_results_seen (
    round_id text PRIMARY KEY,
    revision integer NOT NULL
);
