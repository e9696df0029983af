-- Indexes for lookups by parent that the unique constraints of 0001 do not serve (their first column
-- is the id): a deployment's nodes and labels, a blueprint's labels, a user's tokens.
CREATE INDEX IF NOT EXISTS nodes_deployment_idx ON nodes(_deployment_fk);
CREATE INDEX IF NOT EXISTS deployments_labels_model_idx ON deployments_labels(_labeled_model_fk);
CREATE INDEX IF NOT EXISTS blueprints_labels_model_idx ON blueprints_labels(_labeled_model_fk);
CREATE INDEX IF NOT EXISTS tokens_user_idx ON tokens(_user_fk);
CREATE INDEX IF NOT EXISTS executions_tenant_status_idx ON executions(_tenant_id, status);
