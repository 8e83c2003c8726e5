-- Scoring's copy of the unit tree, from UnitsChanged events, for unit statistics.
CREATE TABLE units (
    code text PRIMARY KEY,
    name text NOT NULL,
    kind text NOT NULL,
    parent_code text,
    headcount integer NOT NULL,
    path text[] NOT NULL
);
CREATE INDEX units_path ON units USING gin (path);
