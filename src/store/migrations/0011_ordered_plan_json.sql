-- A blueprint's plan and a deployment's inputs, outputs and capabilities keep the key order of the
-- blueprint, as Cloudify 5.1 (which pickles them) shows them: `json` keeps the text as written,
-- where `jsonb` orders keys by length. Rows stored before this keep the order they already have.
ALTER TABLE blueprints ALTER COLUMN plan TYPE json USING plan::json;
ALTER TABLE deployments ALTER COLUMN inputs DROP DEFAULT;
ALTER TABLE deployments ALTER COLUMN inputs TYPE json USING inputs::json;
ALTER TABLE deployments ALTER COLUMN inputs SET DEFAULT '{}'::json;
ALTER TABLE deployments ALTER COLUMN outputs DROP DEFAULT;
ALTER TABLE deployments ALTER COLUMN outputs TYPE json USING outputs::json;
ALTER TABLE deployments ALTER COLUMN outputs SET DEFAULT '{}'::json;
ALTER TABLE deployments ALTER COLUMN capabilities DROP DEFAULT;
ALTER TABLE deployments ALTER COLUMN capabilities TYPE json USING capabilities::json;
ALTER TABLE deployments ALTER COLUMN capabilities SET DEFAULT '{}'::json;
