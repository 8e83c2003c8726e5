-- Accounts: verification, one-time codes, refresh tokens, staff roles, erasure.
ALTER TABLE participants ALTER COLUMN password_hash DROP NOT NULL;  -- pre-registered staff set it later
ALTER TABLE participants ALTER COLUMN phone DROP NOT NULL;          -- erased accounts keep no phone
ALTER TABLE participants DROP COLUMN role;                          -- roles are grants now
ALTER TABLE participants
    ADD COLUMN phone_verified_at timestamptz,
    ADD COLUMN email_verified_at timestamptz,
    ADD COLUMN pre_registered_by text,
    ADD COLUMN erased_at timestamptz;

CREATE TABLE one_time_codes (
    id bigserial PRIMARY KEY,
    participant_id text NOT NULL REFERENCES participants (id),
    purpose text NOT NULL CHECK (purpose IN ('verify_phone', 'verify_email', 'log_in', 'reset_password')),
    code_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    attempts_left integer NOT NULL,
    used_at timestamptz
);
CREATE INDEX one_time_codes_live ON one_time_codes (participant_id, purpose, created_at DESC);

CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY,
    participant_id text NOT NULL REFERENCES participants (id),
    family text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX units_path ON units USING gin (path);  -- "in this subtree" queries

CREATE INDEX refresh_tokens_family ON refresh_tokens (family);
CREATE INDEX refresh_tokens_participant ON refresh_tokens (participant_id);

CREATE TABLE role_grants (
    id bigserial PRIMARY KEY,
    participant_id text NOT NULL REFERENCES participants (id),
    role text NOT NULL CHECK (role IN ('coordinator', 'organiser', 'operator')),
    unit_code text REFERENCES units (code),
    contest_id text,
    granted_by text,
    granted_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'coordinator') = (unit_code IS NOT NULL)),
    CHECK ((role = 'organiser') = (contest_id IS NOT NULL))
);
CREATE UNIQUE INDEX role_grants_once ON role_grants (participant_id, role, coalesce(unit_code, ''), coalesce(contest_id, ''));

-- Pre-registered staff consent at their first log-in.
ALTER TABLE participants ALTER COLUMN consented_at DROP NOT NULL;
