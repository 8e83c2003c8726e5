-- Rounds' published results and prize winners (from RoundResultsPublished): the messages that
-- announce them, and the console's audience "prize winners of round R".
CREATE TABLE round_results (
    round_id text PRIMARY KEY,
    revision integer NOT NULL,
    published_at timestamptz NOT NULL
);

CREATE TABLE prize_winners (
    round_id text NOT NULL,
    participant_id text NOT NULL,
    prize text NOT NULL,
    rank integer NOT NULL,
    PRIMARY KEY (round_id, participant_id)
);
