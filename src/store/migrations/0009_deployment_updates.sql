-- Deployment updates (rest-api.md §1.9): one row per `PUT /deployment-updates/<dep>/update/initiate`
-- that was not a preview. The steps (the plan diff) are kept as a JSON list in the row; what the
-- worker needs to apply the update and to undo it when the update workflow fails is kept too:
-- the new deployment plan, the instance changes and the definitions of the nodes it modified.
CREATE TABLE deployment_updates (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL,
  visibility text NOT NULL DEFAULT 'tenant',
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  _deployment_fk integer NOT NULL REFERENCES deployments(_storage_id) ON DELETE CASCADE,
  _execution_fk integer REFERENCES executions(_storage_id) ON DELETE SET NULL,
  _old_blueprint_fk integer REFERENCES blueprints(_storage_id) ON DELETE SET NULL,
  _new_blueprint_fk integer REFERENCES blueprints(_storage_id) ON DELETE SET NULL,
  state text NOT NULL CHECK (state IN ('updating', 'executing_workflow', 'finalizing', 'successful', 'failed', 'preview')),
  steps jsonb NOT NULL DEFAULT '[]',
  deployment_plan jsonb,
  deployment_update_nodes jsonb,
  deployment_update_node_instances jsonb,
  deployment_update_deployment jsonb,
  modified_entity_ids jsonb,
  central_plugins_to_install jsonb,
  central_plugins_to_uninstall jsonb,
  old_inputs jsonb NOT NULL DEFAULT '{}',
  new_inputs jsonb NOT NULL DEFAULT '{}',
  runtime_only_evaluation boolean NOT NULL DEFAULT false,
  keep_old_deployment_dependencies boolean NOT NULL DEFAULT false,
  -- the modified nodes' definitions before the update (the worker restores them on failure)
  old_nodes jsonb NOT NULL DEFAULT '[]',
  UNIQUE (id, _tenant_id)
);
CREATE INDEX deployment_updates_deployment_idx ON deployment_updates (_deployment_fk);
