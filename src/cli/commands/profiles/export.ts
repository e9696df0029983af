// `cfy profiles export`: a tar.gz of <root>/profiles; with --include-keys the SSH keys go in too.
import { copyFileSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tar from 'tar';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';

const KEYS_DIR = '.exported-ssh-keys';

export async function run(c: Ctx, o: { includeKeys?: boolean; outputPath: string }): Promise<void> {
  if (!existsSync(c.store.profilesDir))
    throw usageError('There are no profiles to export', 'create one with `cfy profiles use`');
  const keysDir = join(c.store.profilesDir, KEYS_DIR);
  if (o.includeKeys) {
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    for (const name of c.store.names()) {
      const key = c.store.load(name)?.ssh_key;
      if (key && existsSync(key)) copyFileSync(key, join(keysDir, `${name}.profile`));
    }
  } else {
    c.out.warn('The SSH keys of the profiles are not exported (use --include-keys)');
  }
  const out = resolve(o.outputPath);
  c.out.info('Exporting profiles to ' + out + '...');
  try {
    await tar.create({ gzip: true, file: out, cwd: c.store.root, portable: true }, ['profiles']);
  } finally {
    if (o.includeKeys) rmSync(keysDir, { recursive: true, force: true });
  }
  c.out.info('Export complete!');
}
