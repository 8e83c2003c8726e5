-- Erasure confirmed by a one-time code (for people who log in by code and have no password), and a phone
-- number change confirmed by a code sent to the new number, which the code's row keeps until then.
ALTER TABLE one_time_codes DROP CONSTRAINT one_time_codes_purpose_check;
ALTER TABLE one_time_codes ADD CONSTRAINT one_time_codes_purpose_check CHECK (purpose IN (
    'verify_phone', 'verify_email', 'log_in', 'reset_password', 'erase', 'change_phone'));
ALTER TABLE one_time_codes ADD COLUMN confirms text;
