-- Cloudify 5.1's small manager tables: maintenance mode (one row while activating or activated), sites,
-- the provider context, and the config table's 5.1 entries (names, scopes, values, schemas).

CREATE TABLE IF NOT EXISTS maintenance_mode (
  id serial PRIMARY KEY,
  status text NOT NULL CHECK (status IN ('activating', 'activated')),
  activation_requested_at timestamptz NOT NULL,
  activated_at timestamptz,
  _requested_by integer REFERENCES users(id) ON DELETE SET NULL
);

CREATE TABLE IF NOT EXISTS sites (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL,
  name text NOT NULL,
  latitude double precision,
  longitude double precision,
  visibility text NOT NULL DEFAULT 'tenant' CHECK (visibility IN ('private', 'tenant', 'global')),
  _tenant_id integer NOT NULL REFERENCES tenants(id),
  _creator_id integer NOT NULL REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (name, _tenant_id)
);

CREATE TABLE IF NOT EXISTS provider_context (
  id text PRIMARY KEY,
  name text NOT NULL,
  context jsonb NOT NULL
);
INSERT INTO provider_context (id, name, context) VALUES ('CONTEXT', 'provider',
  '{"cloudify": {"policy_engine": {"start_timeout": 30}, "cloudify_agent": {"min_workers": 2, "max_workers": 5, "broker_port": 5671, "heartbeat": 30, "log_level": "info"}}}')
ON CONFLICT (id) DO NOTHING;

ALTER TABLE config ADD COLUMN IF NOT EXISTS _updater_id integer REFERENCES users(id) ON DELETE SET NULL;
INSERT INTO config (name, scope, value, schema, is_editable) VALUES
  ('rest_service_log_path', 'rest', '"/var/log/cloudify/rest/cloudify-rest-service.log"', NULL, false),
  ('rest_service_log_level', 'rest', '"INFO"', '{"type": "string", "enum": ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]}', true),
  ('ldap_server', 'rest', 'null', '{"type": "string"}', true),
  ('ldap_username', 'rest', 'null', '{"type": "string"}', true),
  ('ldap_password', 'rest', 'null', '{"type": "string"}', true),
  ('ldap_domain', 'rest', 'null', '{"type": "string"}', true),
  ('ldap_is_active_directory', 'rest', 'null', '{"type": "boolean"}', true),
  ('ldap_dn_extra', 'rest', 'null', NULL, true),
  ('ldap_timeout', 'rest', '5.0', '{"type": "number"}', true),
  ('ldap_nested_levels', 'rest', '1', '{"type": "number", "minimum": 1}', true),
  ('ldap_ca_path', 'rest', 'null', '{"type": "string"}', true),
  ('file_server_root', 'rest', '"/opt/manager/resources"', NULL, false),
  ('file_server_url', 'rest', '"http://127.0.0.1:53333/resources"', NULL, false),
  ('insecure_endpoints_disabled', 'rest', 'true', '{"type": "boolean"}', false),
  ('maintenance_folder', 'rest', '"/opt/manager/maintenance"', NULL, false),
  ('min_available_memory_mb', 'rest', '100', '{"type": "number", "minimum": 0}', true),
  ('failed_logins_before_account_lock', 'rest', '4', '{"type": "number", "minimum": 1}', true),
  ('account_lock_period', 'rest', '-1', '{"type": "number", "minimum": -1}', true),
  ('public_ip', 'rest', 'null', NULL, false),
  ('default_page_size', 'rest', '1000', '{"type": "number", "minimum": 1}', true),
  ('service_management', 'rest', '"supervisord"', NULL, true),
  ('blueprint_folder_max_size_mb', 'rest', '50', '{"type": "number", "minimum": 0}', true),
  ('blueprint_folder_max_files', 'rest', '10000', '{"type": "number", "minimum": 0}', true),
  ('monitoring_timeout', 'rest', '4', '{"type": "number", "minimum": 0}', true),
  ('max_workers', 'mgmtworker', '5', '{"type": "number", "minimum": 1}', true),
  ('min_workers', 'mgmtworker', '2', '{"type": "number", "minimum": 1}', true),
  ('broker_port', 'agent', '5671', '{"type": "number", "minimum": 1, "maximum": 65535}', true),
  ('min_workers', 'agent', '2', '{"type": "number", "minimum": 1}', true),
  ('max_workers', 'agent', '5', '{"type": "number", "minimum": 1}', true),
  ('heartbeat', 'agent', '30', '{"type": "number", "minimum": 0}', true),
  ('log_level', 'agent', '"info"', '{"type": "string", "enum": ["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]}', true),
  ('task_retries', 'workflow', '60', '{"type": "number", "minimum": -1}', true),
  ('task_retry_interval', 'workflow', '15', '{"type": "number", "minimum": 0}', true),
  ('subgraph_retries', 'workflow', '0', '{"type": "number", "minimum": -1}', true)
ON CONFLICT (name, scope) DO NOTHING;
