-- The sync's bookkeeping on each outbox row: when to try again, and why the last try failed.
ALTER TABLE outbox ADD COLUMN next_try_ms INTEGER;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
CREATE INDEX outbox_to_send ON outbox (state, created_ms);
