import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { Ctx } from '../../context.js';
import { CliError, usageError } from '../../errors.js';
import { EXIT } from '../../exit-codes.js';
import { LOCAL_PROFILE, newProfile } from '../../profiles/store.js';

const config = (colors: boolean) => `colors: ${colors}
logging:
  filename: ${join(tmpdir(), `cloudify-${userInfo().username}`, 'cloudify-cli.log')}
  loggers:
    cloudify.cli.main: info
    cloudify.rest_client.http: info
`;

export async function run(
  c: Ctx,
  o: { resetContext?: boolean; hard?: boolean; enableColors?: boolean },
  blueprintPath?: string,
): Promise<void> {
  if (blueprintPath)
    throw new CliError('Local mode (cfy init <blueprint>) is not implemented in Stratus', {
      fix: 'use a manager: `cfy profiles use <manager>` then `cfy install <blueprint>`',
      exitCode: EXIT.USAGE,
    });
  const root = c.store.root;
  const cfg = join(root, 'config.yaml');
  if (existsSync(cfg) && !o.resetContext && !o.hard)
    throw usageError(
      'Environment is already initialized',
      'use -r/--reset-context to reset it (or --hard to also delete the profiles)',
    );
  if (o.hard) rmSync(c.store.profilesDir, { recursive: true, force: true });
  c.out.info('Initializing CLI working directory...');
  mkdirSync(root, { recursive: true });
  writeFileSync(cfg, config(Boolean(o.enableColors)));
  if (!c.store.exists(LOCAL_PROFILE)) c.store.save(newProfile(LOCAL_PROFILE, null));
  if (!c.store.activeName() || o.hard) c.store.setActive(LOCAL_PROFILE);
  c.out.info('Initialization completed successfully');
}
