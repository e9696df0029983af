-- Blueprint files live in the database, so that every manager of a cluster serves the same ones
-- (cfy_manager.md §6.7: Cloudify replicates the folder with Syncthing instead). One byte stream per
-- blueprint, its pack: the uploaded archive, then every file of the extracted folder, cut into chunks.
-- Each entry is a range of the pack. Each manager materialises what it serves in a local cache keyed
-- by the blueprint's storage id and files_sha256 (store/files/cache.ts).

-- The hash of the pack and its entries; NULL for a blueprint whose files are only on a manager's disk
-- (uploaded before this migration, imported by that manager when it starts).
ALTER TABLE blueprints ADD COLUMN files_sha256 text;

CREATE TABLE blueprint_entries (
  _blueprint_fk integer NOT NULL REFERENCES blueprints(_storage_id) ON DELETE CASCADE,
  -- 'archive': the uploaded archive (one file); 'folder': the extracted blueprint, paths relative to it.
  area text NOT NULL CHECK (area IN ('archive', 'folder')),
  path text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('file', 'dir', 'symlink')),
  mode integer NOT NULL,
  -- The file's bytes are pack[pos, pos + size).
  pos bigint NOT NULL DEFAULT 0,
  size bigint NOT NULL DEFAULT 0,
  link_target text,
  PRIMARY KEY (_blueprint_fk, area, path)
);

CREATE TABLE blueprint_chunks (
  _blueprint_fk integer NOT NULL REFERENCES blueprints(_storage_id) ON DELETE CASCADE,
  -- Where the chunk starts in the pack; chunks are contiguous.
  pos bigint NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (_blueprint_fk, pos)
);
