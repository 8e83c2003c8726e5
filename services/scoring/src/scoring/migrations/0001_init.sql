-- Scoring's own copy of what it needs, built from events only.
CREATE TABLE rounds (
    id text PRIMARY KEY,
    contest_id text NOT NULL,
    title text NOT NULL,
    kind text NOT NULL,
    closes_at timestamptz NOT NULL,
    counted_attempt text NOT NULL,
    asks_prediction boolean NOT NULL,
    answer_key jsonb NOT NULL
);

CREATE TABLE participants (
    id text PRIMARY KEY,
    display_name text NOT NULL,
    unit_code text NOT NULL
);

-- Every finished attempt; correct is NULL until the round's key has arrived.
CREATE TABLE attempts (
    attempt_id text PRIMARY KEY,
    round_id text NOT NULL,
    participant_id text NOT NULL,
    unit_code text NOT NULL,
    attempt_no integer NOT NULL,
    started_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    duration_ms integer NOT NULL,
    prediction integer,
    question_ids text[] NOT NULL,
    answers jsonb NOT NULL,
    closed_by_server boolean NOT NULL,
    correct integer,
    total integer NOT NULL,
    graded_at timestamptz
);
CREATE INDEX attempts_pending ON attempts (round_id) WHERE correct IS NULL;
CREATE INDEX attempts_participant ON attempts (round_id, participant_id);

-- The counted attempt of each participant in each official round.
CREATE TABLE standings (
    round_id text NOT NULL,
    participant_id text NOT NULL,
    attempt_id text NOT NULL,
    correct integer NOT NULL,
    total integer NOT NULL,
    duration_ms integer NOT NULL,
    received_at timestamptz NOT NULL,
    prediction integer,
    PRIMARY KEY (round_id, participant_id)
);
