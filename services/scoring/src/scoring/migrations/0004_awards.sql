-- Prizes, unit bands and the overall contest ranking: each contest's award rules (scoring owns them),
-- every change to them, and what was awarded from the finalised official rounds.
CREATE TABLE award_rules (
    contest_id text PRIMARY KEY,
    rules jsonb NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE award_rules_audit (
    id bigserial PRIMARY KEY,
    contest_id text NOT NULL,
    rules jsonb NOT NULL,
    changed_by text NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX award_rules_audit_contest ON award_rules_audit (contest_id, id);

-- What the awards of a contest were last computed from: `basis` fingerprints the finalised official
-- rounds (ids and finalisation times) and `rules_at` is the rules' version, so a sweep sees at once
-- which contests need computing again.
CREATE TABLE awarded_contests (
    contest_id text PRIMARY KEY,
    overall text NOT NULL,
    round_ids text[] NOT NULL,
    basis text,
    rules_at timestamptz,
    computed_at timestamptz NOT NULL DEFAULT now()
);

-- The overall contest ranking over the finalised official rounds, kept like final_rankings.
CREATE TABLE contest_rankings (
    contest_id text NOT NULL,
    participant_id text NOT NULL,
    rank integer NOT NULL,
    correct integer NOT NULL,
    total integer NOT NULL,
    duration_ms bigint NOT NULL,
    rounds integer NOT NULL,
    best_round_id text,
    separated_by text,
    PRIMARY KEY (contest_id, participant_id)
);
CREATE INDEX contest_rankings_order ON contest_rankings (contest_id, rank, participant_id);

-- Individual prizes: tier_no is the tier's place in the rules' list (0 = the highest).
CREATE TABLE round_prizes (
    round_id text NOT NULL,
    participant_id text NOT NULL,
    contest_id text NOT NULL,
    tier_no integer NOT NULL,
    tier text NOT NULL,
    rank integer NOT NULL,
    PRIMARY KEY (round_id, participant_id)
);
CREATE INDEX round_prizes_contest ON round_prizes (contest_id);

CREATE TABLE contest_prizes (
    contest_id text NOT NULL,
    participant_id text NOT NULL,
    tier_no integer NOT NULL,
    tier text NOT NULL,
    rank integer NOT NULL,
    PRIMARY KEY (contest_id, participant_id)
);

-- Collective prizes: the figures they were awarded on are kept with them, as announced.
CREATE TABLE unit_prizes (
    contest_id text NOT NULL,
    tier_no integer NOT NULL,
    unit_code text NOT NULL,
    tier text NOT NULL,
    awarded_by text NOT NULL,
    rank integer NOT NULL,
    participants integer NOT NULL,
    headcount integer NOT NULL,
    PRIMARY KEY (contest_id, tier_no, unit_code)
);
