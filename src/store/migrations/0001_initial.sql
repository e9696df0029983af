-- The Cloudify 5.1 storage model (rest-api.md §5), trimmed to what Stratus serves.
-- Runs unchanged on PGlite and PostgreSQL 15. JSON columns are jsonb; timestamps are timestamptz (UTC).

CREATE TABLE tenants (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  rabbitmq_vhost text,
  rabbitmq_username text,
  rabbitmq_password text
);

CREATE TABLE roles (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  type text NOT NULL CHECK (type IN ('system_role', 'tenant_role')),
  description text,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE permissions (
  id serial PRIMARY KEY,
  role_id integer NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  name text NOT NULL,
  UNIQUE (role_id, name)
);

CREATE TABLE users (
  id serial PRIMARY KEY,
  username text NOT NULL UNIQUE,
  password text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  email text,
  first_name text,
  last_name text,
  created_at timestamptz NOT NULL DEFAULT now(),
  first_login_at timestamptz,
  last_login_at timestamptz,
  last_failed_login_at timestamptz,
  failed_logins_counter integer NOT NULL DEFAULT 0,
  show_getting_started boolean NOT NULL DEFAULT true
);

-- System roles of a user (sys_admin or default).
CREATE TABLE users_roles (
  user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role_id integer NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, role_id)
);

-- Tenant membership with the tenant role.
CREATE TABLE users_tenants (
  user_id integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  tenant_id integer NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  role_id integer NOT NULL REFERENCES roles(id),
  PRIMARY KEY (user_id, tenant_id)
);

CREATE TABLE tokens (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  secret_hash text NOT NULL,
  description text,
  last_used timestamptz,
  expiration_date timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  _user_fk integer NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  _execution_fk integer
);

CREATE TABLE blueprints (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL,
  visibility text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('private', 'tenant', 'global')),
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  main_file_name text,
  plan jsonb,
  description text,
  is_hidden boolean NOT NULL DEFAULT false,
  state text NOT NULL,
  error text,
  error_traceback text,
  requirements jsonb,
  archive_path text,
  UNIQUE (id, _tenant_id)
);

CREATE TABLE blueprints_labels (
  id serial PRIMARY KEY,
  key text NOT NULL,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  _labeled_model_fk integer NOT NULL REFERENCES blueprints(_storage_id) ON DELETE CASCADE,
  _creator_id integer NOT NULL REFERENCES users(id),
  UNIQUE (key, value, _labeled_model_fk)
);

CREATE TABLE deployments (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL,
  visibility text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('private', 'tenant', 'global')),
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  _blueprint_fk integer NOT NULL REFERENCES blueprints(_storage_id),
  description text,
  display_name text,
  inputs jsonb NOT NULL DEFAULT '{}',
  groups jsonb NOT NULL DEFAULT '{}',
  policy_triggers jsonb NOT NULL DEFAULT '{}',
  policy_types jsonb NOT NULL DEFAULT '{}',
  outputs jsonb NOT NULL DEFAULT '{}',
  capabilities jsonb NOT NULL DEFAULT '{}',
  scaling_groups jsonb NOT NULL DEFAULT '{}',
  workflows jsonb NOT NULL DEFAULT '{}',
  resource_tags jsonb,
  runtime_only_evaluation boolean NOT NULL DEFAULT false,
  installation_status text,
  deployment_status text,
  site_name text,
  _latest_execution_fk integer,
  UNIQUE (id, _tenant_id)
);
CREATE INDEX deployments_blueprint_idx ON deployments(_blueprint_fk);

CREATE TABLE deployments_labels (
  id serial PRIMARY KEY,
  key text NOT NULL,
  value text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  _labeled_model_fk integer NOT NULL REFERENCES deployments(_storage_id) ON DELETE CASCADE,
  _creator_id integer NOT NULL REFERENCES users(id),
  UNIQUE (key, value, _labeled_model_fk)
);

CREATE TABLE nodes (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL,
  visibility text NOT NULL DEFAULT 'tenant',
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  _deployment_fk integer NOT NULL REFERENCES deployments(_storage_id) ON DELETE CASCADE,
  type text NOT NULL,
  type_hierarchy jsonb NOT NULL DEFAULT '[]',
  properties jsonb NOT NULL DEFAULT '{}',
  operations jsonb NOT NULL DEFAULT '{}',
  relationships jsonb NOT NULL DEFAULT '[]',
  plugins jsonb NOT NULL DEFAULT '[]',
  plugins_to_install jsonb,
  host_id text,
  number_of_instances integer NOT NULL DEFAULT 1,
  planned_number_of_instances integer NOT NULL DEFAULT 1,
  deploy_number_of_instances integer NOT NULL DEFAULT 1,
  min_number_of_instances integer NOT NULL DEFAULT 0,
  max_number_of_instances integer NOT NULL DEFAULT -1,
  UNIQUE (id, _deployment_fk)
);

CREATE TABLE node_instances (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL,
  visibility text NOT NULL DEFAULT 'tenant',
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  _node_fk integer NOT NULL REFERENCES nodes(_storage_id) ON DELETE CASCADE,
  state text NOT NULL DEFAULT 'uninitialized',
  runtime_properties jsonb NOT NULL DEFAULT '{}',
  system_properties jsonb NOT NULL DEFAULT '{}',
  relationships jsonb NOT NULL DEFAULT '[]',
  host_id text,
  index integer,
  scaling_groups jsonb NOT NULL DEFAULT '[]',
  -- Optimistic lock: every successful update increments it; a PATCH with an older one gets 409.
  version integer NOT NULL DEFAULT 1,
  UNIQUE (id, _tenant_id)
);
CREATE INDEX node_instances_node_idx ON node_instances(_node_fk);

CREATE TABLE executions (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL,
  visibility text NOT NULL DEFAULT 'tenant',
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  _deployment_fk integer REFERENCES deployments(_storage_id) ON DELETE CASCADE,
  blueprint_id text,
  workflow_id text NOT NULL,
  status text NOT NULL,
  parameters jsonb NOT NULL DEFAULT '{}',
  error text NOT NULL DEFAULT '',
  is_system_workflow boolean NOT NULL DEFAULT false,
  is_dry_run boolean NOT NULL DEFAULT false,
  allow_custom_parameters boolean NOT NULL DEFAULT false,
  started_at timestamptz,
  ended_at timestamptz,
  scheduled_for timestamptz,
  token text,
  resume boolean NOT NULL DEFAULT false,
  total_operations integer NOT NULL DEFAULT 0,
  finished_operations integer NOT NULL DEFAULT 0,
  UNIQUE (id)
);
CREATE INDEX executions_deployment_idx ON executions(_deployment_fk);
CREATE INDEX executions_status_idx ON executions(status);

CREATE TABLE events (
  _storage_id bigserial PRIMARY KEY,
  timestamp timestamptz NOT NULL DEFAULT now(),
  reported_timestamp timestamptz NOT NULL DEFAULT now(),
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  visibility text NOT NULL DEFAULT 'tenant',
  _execution_fk integer REFERENCES executions(_storage_id) ON DELETE CASCADE,
  message text,
  message_code text,
  event_type text,
  operation text,
  node_id text,
  source_id text,
  target_id text,
  error_causes jsonb,
  manager_name text,
  agent_name text
);
CREATE INDEX events_execution_idx ON events(_execution_fk, timestamp);

CREATE TABLE logs (
  _storage_id bigserial PRIMARY KEY,
  timestamp timestamptz NOT NULL DEFAULT now(),
  reported_timestamp timestamptz NOT NULL DEFAULT now(),
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  visibility text NOT NULL DEFAULT 'tenant',
  _execution_fk integer REFERENCES executions(_storage_id) ON DELETE CASCADE,
  message text,
  message_code text,
  logger text,
  level text,
  operation text,
  node_id text,
  source_id text,
  target_id text,
  manager_name text,
  agent_name text
);
CREATE INDEX logs_execution_idx ON logs(_execution_fk, timestamp);

CREATE TABLE tasks_graphs (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  name text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  visibility text NOT NULL DEFAULT 'tenant',
  _execution_fk integer NOT NULL REFERENCES executions(_storage_id) ON DELETE CASCADE,
  UNIQUE (_execution_fk, name)
);

CREATE TABLE operations (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  name text,
  state text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  visibility text NOT NULL DEFAULT 'tenant',
  dependencies jsonb NOT NULL DEFAULT '[]',
  type text,
  parameters jsonb NOT NULL DEFAULT '{}',
  manager_name text,
  agent_name text,
  _tasks_graph_fk integer NOT NULL REFERENCES tasks_graphs(_storage_id) ON DELETE CASCADE
);
CREATE INDEX operations_graph_idx ON operations(_tasks_graph_fk);

CREATE TABLE secrets (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL,
  visibility text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('private', 'tenant', 'global')),
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- AES-256-GCM ciphertext, never the plain value.
  value text NOT NULL,
  is_hidden_value boolean NOT NULL DEFAULT false,
  schema jsonb,
  UNIQUE (id, _tenant_id)
);

CREATE TABLE plugins (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  visibility text NOT NULL DEFAULT 'tenant',
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  uploaded_at timestamptz NOT NULL DEFAULT now(),
  package_name text NOT NULL,
  package_version text NOT NULL,
  archive_name text,
  package_source text,
  supported_platform text,
  distribution text,
  distribution_version text,
  distribution_release text,
  supported_py_versions jsonb,
  wheels jsonb NOT NULL DEFAULT '[]',
  excluded_wheels jsonb,
  title text,
  yaml_url_path text,
  blueprint_labels jsonb,
  labels jsonb,
  resource_tags jsonb
);

CREATE TABLE certificates (
  id serial PRIMARY KEY,
  name text NOT NULL UNIQUE,
  value text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE managers (
  id serial PRIMARY KEY,
  hostname text NOT NULL UNIQUE,
  private_ip text NOT NULL UNIQUE,
  public_ip text NOT NULL,
  version text NOT NULL,
  edition text NOT NULL,
  distribution text NOT NULL,
  distro_release text NOT NULL,
  fs_sync_node_id text,
  networks jsonb NOT NULL DEFAULT '{}',
  last_seen timestamptz NOT NULL DEFAULT now(),
  status_report_frequency integer,
  _ca_cert_id integer REFERENCES certificates(id)
);

CREATE TABLE rabbitmq_brokers (
  name text PRIMARY KEY,
  host text NOT NULL,
  management_host text,
  port integer,
  username text,
  password text,
  params jsonb,
  networks jsonb NOT NULL DEFAULT '{}',
  is_external boolean NOT NULL DEFAULT false,
  _ca_cert_id integer REFERENCES certificates(id)
);

CREATE TABLE db_nodes (
  name text PRIMARY KEY,
  host text NOT NULL UNIQUE,
  is_external boolean NOT NULL DEFAULT false
);

CREATE TABLE licenses (
  id serial PRIMARY KEY,
  customer_id text NOT NULL UNIQUE,
  expiration_date timestamptz,
  license_edition text,
  trial boolean NOT NULL DEFAULT false,
  cloudify_version text,
  capabilities jsonb,
  signature text
);

CREATE TABLE config (
  name text NOT NULL,
  scope text NOT NULL,
  value jsonb,
  schema jsonb,
  is_editable boolean NOT NULL DEFAULT true,
  admin_only boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (name, scope)
);
