// `cfy profiles list`: every profile but `local`, the active one marked with `*`.
import type { Ctx } from '../../context.js';
import { LOCAL_PROFILE } from '../../profiles/store.js';
import { PROFILE_COLUMNS } from './columns.js';

export async function run(c: Ctx): Promise<void> {
  const active = c.store.activeName();
  const profiles = c.store
    .names()
    .filter((n) => n !== LOCAL_PROFILE)
    .map((n) => c.store.load(n)!)
    .filter(Boolean);
  if (c.out.json) return c.out.table('Profiles:', PROFILE_COLUMNS, profiles);
  const rows = profiles.map((p) => ({ ...p, name: p.name === active ? `*${p.name}` : p.name }));
  c.out.table('Profiles:', PROFILE_COLUMNS, rows);
  if (profiles.length === 0)
    c.out.info(
      'No profiles found. You can create a new profile by using an existing manager via the `cfy profiles use` command',
    );
}
