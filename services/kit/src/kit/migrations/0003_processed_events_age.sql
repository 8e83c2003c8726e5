-- Consumed event ids are forgotten once no copy of their event can come again (kit.consumer.forget_processed):
-- the deletion finds them by age.
CREATE INDEX processed_events_age ON processed_events (processed_at);
