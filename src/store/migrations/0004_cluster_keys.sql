-- Keys every manager of a cluster shares. The first manager's install creates `secrets_key` (the key
-- that encrypts secrets at rest); joining managers read it from here. Cloudify keeps it in
-- rest-security.conf, which it replicates between managers with Syncthing.
CREATE TABLE IF NOT EXISTS cluster_keys (
  name text PRIMARY KEY,
  value text NOT NULL
);
