CREATE TABLE contests (
    id text PRIMARY KEY,
    title text NOT NULL,
    description text NOT NULL DEFAULT '',
    organiser text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE questions (
    id text PRIMARY KEY,
    contest_id text NOT NULL REFERENCES contests (id),
    code text NOT NULL,
    topic text NOT NULL,
    difficulty integer NOT NULL,
    text text NOT NULL,
    options jsonb NOT NULL,
    correct integer[] NOT NULL,
    source text NOT NULL,
    UNIQUE (contest_id, code)
);

CREATE TABLE rounds (
    id text PRIMARY KEY,
    contest_id text NOT NULL REFERENCES contests (id),
    position integer NOT NULL,
    title text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('official', 'practice')),
    opens_at timestamptz NOT NULL,
    closes_at timestamptz NOT NULL CHECK (closes_at > opens_at),
    questions_per_attempt integer NOT NULL CHECK (questions_per_attempt > 0),
    time_limit_s integer NOT NULL CHECK (time_limit_s > 0),
    attempts_allowed integer NOT NULL CHECK (attempts_allowed > 0),
    counted_attempt text NOT NULL DEFAULT 'best' CHECK (counted_attempt IN ('best', 'first', 'last')),
    asks_prediction boolean NOT NULL DEFAULT true,
    published_at timestamptz
);

CREATE TABLE attempts (
    id text PRIMARY KEY,
    round_id text NOT NULL REFERENCES rounds (id),
    participant_id text NOT NULL,
    unit_code text NOT NULL,
    attempt_no integer NOT NULL,
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'submitted', 'closed')),
    started_at timestamptz NOT NULL,
    deadline timestamptz NOT NULL,
    question_ids text[] NOT NULL,
    option_orders jsonb NOT NULL,
    answers jsonb NOT NULL DEFAULT '{}',
    prediction integer,
    received_at timestamptz,
    UNIQUE (round_id, participant_id, attempt_no)
);
-- One active attempt per participant per round, enforced by the database itself.
CREATE UNIQUE INDEX attempts_one_active ON attempts (round_id, participant_id) WHERE status = 'active';
CREATE INDEX attempts_expiring ON attempts (deadline) WHERE status = 'active';
CREATE INDEX attempts_participant ON attempts (participant_id);
