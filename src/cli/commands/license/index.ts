// `cfy license upload|list` (cfy-cli.md A.8).
import type { Command } from 'commander';
import { lazy } from '../shared.js';

export function registerLicenseCommands(program: Command): void {
  const g = program.command('license').description('Handle the Cloudify license');
  g.command('upload')
    .description('Upload a license file')
    .argument('<license-path>')
    .action(lazy(async () => ({ run: (await import('./license.js')).actions.upload })));
  g.command('list')
    .description('Show the license')
    .action(lazy(async () => ({ run: (await import('./license.js')).actions.list })));
}
