-- A key correction finds its round's attempts through attempts_participant (round_id first) and reads their
-- questions there: corrections are rare, while the GIN index on every attempt's questions cost about a quarter
-- of each INSERT while attempts arrive.
DROP INDEX IF EXISTS attempts_question;
