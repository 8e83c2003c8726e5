-- Times in events written by SQL (the submit path builds AttemptSubmitted in its one statement):
-- ISO 8601 in UTC with microseconds, whatever the session's time zone, as the contracts write them.
CREATE FUNCTION utc_text(t timestamptz) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"');
