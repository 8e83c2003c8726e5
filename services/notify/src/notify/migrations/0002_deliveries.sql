-- Messages that leave the platform (e-mail, SMS, Zalo): one row per event, recipient and
-- channel, so a redelivered event never sends twice.
--
-- The consumer only inserts the row (status 'queued'); a sender loop sends it outside the
-- consumer's transaction and marks it 'sent' or 'failed'. The row must carry what to send, so
-- `destination`, `subject` and `body` (which holds the one-time code) are kept in clear, but only
-- until the delivery is final: they are set to NULL once it is sent or given up, leaving only
-- `masked_destination` (+8491****678). Nothing here is encrypted: the database is the service's
-- own, and the window is the seconds between consuming and sending.
CREATE TABLE deliveries (
    id bigserial PRIMARY KEY,
    event_id uuid NOT NULL,
    participant_id text NOT NULL,
    channel text NOT NULL,
    purpose text NOT NULL,
    status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    provider_id text,
    masked_destination text,
    destination text,
    subject text,
    body text,
    expires_at timestamptz,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    UNIQUE (event_id, participant_id, channel)
);
-- The sender's work list: only queued rows, in the order they fall due.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'queued';
CREATE INDEX deliveries_participant ON deliveries (participant_id);
