-- Answer key corrections applied to a round, so a stale or repeated copy is recognised.
CREATE TABLE key_corrections (
    round_id text NOT NULL,
    correction_no integer NOT NULL,
    question_id text NOT NULL,
    correct integer[] NOT NULL,
    reason text NOT NULL,
    corrected_at timestamptz NOT NULL,
    attempts_changed integer NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (round_id, correction_no)
);
CREATE INDEX attempts_question ON attempts USING gin (question_ids);
