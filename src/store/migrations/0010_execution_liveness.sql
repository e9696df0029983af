-- The liveness record of a running execution is its lease (0005: lease_owner, lease_until), renewed by
-- the owning worker. A sweeper on every worker looks for active executions whose lease lapsed (their
-- worker died, or its message was lost) and resumes them; this index keeps that look cheap, and
-- swept_at records when a sweeper last took an execution over (shown to no API, read by operators).
ALTER TABLE executions ADD COLUMN IF NOT EXISTS swept_at timestamptz;
CREATE INDEX IF NOT EXISTS executions_lease_sweep ON executions (lease_until)
  WHERE status IN ('started', 'cancelling', 'force_cancelling', 'kill_cancelling');
