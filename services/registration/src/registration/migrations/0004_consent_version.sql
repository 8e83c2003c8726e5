-- Which text of the personal-data notice each person agreed to (a short hash of the text), so that a
-- changed notice can be told apart. NULL where consent is not given yet, or was given before this column.
ALTER TABLE participants ADD COLUMN consent_version text;
