-- Final rankings, computed once a round has closed and its last attempts are in.
ALTER TABLE rounds
    ADD COLUMN ranking_order text[] NOT NULL DEFAULT ARRAY['correct', 'prediction', 'duration', 'received'],
    ADD COLUMN finalised_at timestamptz,
    ADD COLUMN true_number integer;

CREATE TABLE final_rankings (
    round_id text NOT NULL,
    participant_id text NOT NULL,
    rank integer NOT NULL,
    distance integer,
    separated_by text,
    PRIMARY KEY (round_id, participant_id)
);
CREATE INDEX final_rankings_order ON final_rankings (round_id, rank);
