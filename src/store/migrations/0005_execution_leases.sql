-- Which worker runs an execution, and until when that claim holds unless renewed. A workflow message is
-- acked only when its execution ends, so when a worker's broker connection drops, RabbitMQ hands the
-- message to another worker while the first one is still running it; the second waits for the claim to
-- end (the execution ended, or its worker died and stopped renewing) instead of running it a second time.
ALTER TABLE executions ADD COLUMN IF NOT EXISTS lease_owner text;
ALTER TABLE executions ADD COLUMN IF NOT EXISTS lease_until timestamptz;
