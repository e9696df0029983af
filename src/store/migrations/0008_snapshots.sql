-- Snapshots (rest-api.md §1.9): the rows Cloudify 5.1 lists, and each one's archive, cut into chunks and
-- kept in the database like blueprint files (decision 18), so every manager serves the same archive.
-- Tenant and creator are plain ids, not foreign keys: a restore replaces tenants and users, and the
-- manager's own snapshots stay (re-owned by the restored admin in default_tenant).
CREATE TABLE IF NOT EXISTS snapshots (
  _storage_id serial PRIMARY KEY,
  id text NOT NULL UNIQUE,
  visibility text NOT NULL DEFAULT 'private',
  _tenant_id integer NOT NULL,
  _creator_id integer NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  status text NOT NULL CHECK (status IN ('creating', 'created', 'failed', 'uploading', 'uploaded')),
  error text NOT NULL DEFAULT '',
  archive_size bigint NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS snapshot_chunks (
  _snapshot_fk integer NOT NULL REFERENCES snapshots(_storage_id) ON DELETE CASCADE,
  pos bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (_snapshot_fk, pos)
);
