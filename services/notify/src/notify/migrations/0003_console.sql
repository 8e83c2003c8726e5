-- The organisers' console: notify's own copies of what it needs to choose audiences (all from
-- events), announcements and their templates, participants' opt-outs, and delivery lanes.

ALTER TABLE recipients
    ADD COLUMN unit_path text[] NOT NULL DEFAULT '{}',
    ADD COLUMN category text NOT NULL DEFAULT '';
CREATE INDEX recipients_unit_path ON recipients USING gin (unit_path);

-- From ContactDetailsChanged (sensitive topic). Deleted on erasure.
CREATE TABLE contacts (
    participant_id text PRIMARY KEY,
    phone text,
    email text,
    phone_verified boolean NOT NULL,
    email_verified boolean NOT NULL,
    changed_at timestamptz NOT NULL
);

CREATE TABLE units (
    code text PRIMARY KEY,
    name text NOT NULL,
    path text[] NOT NULL
);

CREATE TABLE contests (
    id text PRIMARY KEY,
    title text NOT NULL,
    organiser text NOT NULL
);

CREATE TABLE rounds (
    id text PRIMARY KEY,
    contest_id text NOT NULL,
    title text NOT NULL,
    kind text NOT NULL,
    closes_at timestamptz NOT NULL
);

-- Who has started an attempt in a round: the audience "registered but not yet attempted".
CREATE TABLE round_takers (
    round_id text NOT NULL,
    participant_id text NOT NULL,
    PRIMARY KEY (round_id, participant_id)
);

-- A participant may stop announcements on a channel (codes and results still reach them).
CREATE TABLE opt_outs (
    participant_id text NOT NULL,
    channel text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (participant_id, channel)
);

CREATE TABLE templates (
    contest_id text NOT NULL,
    name text NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (contest_id, name)
);

-- Every announcement is kept: who composed it, for whom, when it went, who cancelled it.
CREATE TABLE announcements (
    id uuid PRIMARY KEY,
    contest_id text NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    channels text[] NOT NULL,
    audience jsonb NOT NULL,
    send_at timestamptz,
    before_close_s integer,  -- a reminder: due this long before its audience's round closes
    status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'dispatched', 'cancelled')),
    created_by text NOT NULL,
    created_by_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    dispatched_at timestamptz,
    recipients integer,
    cancelled_by text,
    cancelled_at timestamptz,
    CHECK ((send_at IS NULL) <> (before_close_s IS NULL))
);
CREATE INDEX announcements_contest ON announcements (contest_id, created_at DESC);
CREATE INDEX announcements_due ON announcements (send_at) WHERE status = 'scheduled';

-- Lanes: one-time codes ('urgent') never wait behind a campaign ('bulk').
ALTER TABLE deliveries
    ADD COLUMN lane text NOT NULL DEFAULT 'urgent',
    ADD COLUMN announcement_id uuid,
    ADD COLUMN unit_code text,
    ADD COLUMN delivered_at timestamptz;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('queued', 'sent', 'delivered', 'failed'));
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (lane, next_attempt_at) WHERE status = 'queued';
CREATE INDEX deliveries_announcement ON deliveries (announcement_id, status) WHERE announcement_id IS NOT NULL;
CREATE INDEX deliveries_provider ON deliveries (provider_id) WHERE provider_id IS NOT NULL;
