-- What each round's published results said last (RoundResultsPublished), so that a recomputation
-- is announced only when its outcome changed, under the next revision number.
CREATE TABLE published_round_results (
    round_id text PRIMARY KEY,
    revision integer NOT NULL,
    fingerprint text NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now()
);
