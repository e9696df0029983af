-- Uploaded plugins (rest-api.md §1.8). The plugins table of 0001 gets what an upload keeps: the plugin
-- YAML (its file name and text; blueprints import it with `plugin:<name>?version=…`) and the wagon,
-- whose bytes live in the database like blueprint files (decision 18), cut into chunks, so every manager
-- serves the same wagon. Each manager writes a local copy under resources/plugins/<id>/ on first use.
ALTER TABLE plugins ADD COLUMN yaml_file_name text;
ALTER TABLE plugins ADD COLUMN yaml_text text;
ALTER TABLE plugins ADD COLUMN wagon_size bigint NOT NULL DEFAULT 0;
-- The icon.png uploaded with the plugin (the console shows it), if any.
ALTER TABLE plugins ADD COLUMN icon bytea;
ALTER TABLE plugins ADD COLUMN wagon_sha256 text;
ALTER TABLE plugins ADD CONSTRAINT plugins_visibility_check
  CHECK (visibility IN ('private', 'tenant', 'global'));

-- Cloudify's plugins_name_version__tenant_id_idx: one build of a package version per tenant.
CREATE UNIQUE INDEX plugins_name_version_tenant_idx ON plugins (package_name, package_version, _tenant_id,
  coalesce(distribution, ''), coalesce(distribution_release, ''), coalesce(distribution_version, ''));
CREATE INDEX plugins_tenant_idx ON plugins (_tenant_id, package_name);

CREATE TABLE plugin_chunks (
  _plugin_fk integer NOT NULL REFERENCES plugins(_storage_id) ON DELETE CASCADE,
  -- Where the chunk starts in the wagon; chunks are contiguous.
  pos bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (_plugin_fk, pos)
);
