// `cfy profiles import ARCHIVE`: unpack an exported archive into <root>/profiles.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tar from 'tar';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';

export async function run(c: Ctx, o: { includeKeys?: boolean }, archive: string): Promise<void> {
  const file = resolve(archive);
  if (!existsSync(file))
    throw usageError(
      `The archive ${file} does not exist`,
      'give the path of a `cfy profiles export` archive',
    );
  mkdirSync(c.store.root, { recursive: true });
  c.out.info(`Importing profiles from ${file}...`);
  await tar.extract({
    file,
    cwd: c.store.root,
    filter: (p) => p === 'profiles' || p.startsWith('profiles/'),
  });
  const keysDir = join(c.store.profilesDir, '.exported-ssh-keys');
  if (existsSync(keysDir)) {
    if (o.includeKeys) {
      for (const f of readdirSync(keysDir)) {
        const p = c.store.load(f.replace(/\.profile$/, ''));
        if (p?.ssh_key) {
          mkdirSync(resolve(p.ssh_key, '..'), { recursive: true });
          copyFileSync(join(keysDir, f), p.ssh_key);
        }
      }
    }
    rmSync(keysDir, { recursive: true, force: true });
  }
  c.out.info('Import complete!');
  c.out.info('You can list profiles using `cfy profiles list`');
}
