-- Organising: contest details, versioned question banks, round settings, and the audit trail.
ALTER TABLE contests
    ADD COLUMN rules text NOT NULL DEFAULT '',
    ADD COLUMN starts_at timestamptz,
    ADD COLUMN ends_at timestamptz,
    ADD COLUMN created_by text;

-- A bank is versioned: each import is a new version, old questions stay for traceability.
CREATE TABLE bank_versions (
    contest_id text NOT NULL REFERENCES contests (id),
    version integer NOT NULL,
    imported_at timestamptz NOT NULL DEFAULT now(),
    imported_by text NOT NULL,
    filename text NOT NULL,
    question_count integer NOT NULL,
    PRIMARY KEY (contest_id, version)
);
ALTER TABLE questions ADD COLUMN bank_version integer NOT NULL DEFAULT 1, ADD COLUMN image text;
ALTER TABLE questions DROP CONSTRAINT questions_contest_id_code_key;
ALTER TABLE questions ADD CONSTRAINT questions_version_code UNIQUE (contest_id, bank_version, code);
INSERT INTO bank_versions (contest_id, version, imported_by, filename, question_count)
    SELECT contest_id, 1, 'seed', 'demo', count(*) FROM questions GROUP BY contest_id;

ALTER TABLE rounds
    ADD COLUMN bank_version integer NOT NULL DEFAULT 1,
    ADD COLUMN topic_quotas jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN review text NOT NULL DEFAULT 'score_only' CHECK (review IN ('score_only', 'answers_after_close')),
    ADD COLUMN unit_code text,
    ADD COLUMN invitation_only boolean NOT NULL DEFAULT false;

-- Finalists invited to an invitation-only round (for example from a unit's qualifying round).
CREATE TABLE round_invitations (
    round_id text NOT NULL REFERENCES rounds (id),
    participant_id text NOT NULL,
    invited_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (round_id, participant_id)
);

-- Every change to a round, by whom and when.
CREATE TABLE round_audit (
    id bigserial PRIMARY KEY,
    round_id text NOT NULL REFERENCES rounds (id),
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    action text NOT NULL,
    changes jsonb NOT NULL
);
CREATE INDEX round_audit_round ON round_audit (round_id, id);

-- Exam's copy of the unit tree (from UnitsChanged), to restrict rounds to a unit's subtree.
CREATE TABLE units (
    code text PRIMARY KEY,
    path text[] NOT NULL
);
