import type { Ctx } from '../../context.js';
import { CliError } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';

export async function run(c: Ctx, _o: unknown, name: string): Promise<void> {
  if (!c.store.exists(name))
    throw new CliError(`Profile ${name} does not exist`, {
      fix: 'run `cfy profiles list`',
      exitCode: EXIT.USAGE,
    });
  c.out.info(`Deleting profile ${name}...`);
  c.store.delete(name);
  c.out.info('Profile deleted');
}
