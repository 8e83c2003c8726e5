CREATE TABLE recipients (
    id text PRIMARY KEY,
    display_name text NOT NULL,
    unit_code text NOT NULL
);

-- One message per event, recipient and channel: a redelivered event never sends twice.
CREATE TABLE messages (
    id bigserial PRIMARY KEY,
    event_id uuid NOT NULL,
    participant_id text NOT NULL,
    channel text NOT NULL DEFAULT 'inbox',
    sender text NOT NULL,
    title text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    UNIQUE (event_id, participant_id, channel)
);
CREATE INDEX messages_inbox ON messages (participant_id, created_at DESC) WHERE channel = 'inbox';
