-- Corrections of a question's answer key, kept forever: who changed what, when and why.
CREATE TABLE key_corrections (
    id bigserial PRIMARY KEY,
    contest_id text NOT NULL REFERENCES contests (id),
    bank_version integer NOT NULL,
    question_id text NOT NULL REFERENCES questions (id),
    code text NOT NULL,
    correct_before integer[] NOT NULL,
    correct integer[] NOT NULL,
    reason text NOT NULL,
    corrected_by text NOT NULL,
    corrected_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX key_corrections_question ON key_corrections (question_id, id);

-- Each round numbers the corrections it was told of, so scoring can ignore a stale copy.
CREATE TABLE round_key_corrections (
    round_id text NOT NULL REFERENCES rounds (id),
    correction_no integer NOT NULL,
    correction_id bigint NOT NULL REFERENCES key_corrections (id),
    PRIMARY KEY (round_id, correction_no)
);
