// `cfy snapshots create|restore|status|list|download|upload|delete` (cfy-cli.md A.8), 5.1's flags.
import type { Command } from 'commander';
import { lazy, listOptions, tenantOption } from '../shared.js';

export function registerSnapshotCommands(program: Command): void {
  const g = program.command('snapshots').description('Handle manager snapshots');
  const s = (name: string) => lazy(async () => ({ run: (await import('./snapshots.js')).actions[name]! }));
  g.command('create')
    .description('Create a snapshot [manager only]')
    .argument('[snapshot-id]', 'the id to give the snapshot (default: snapshot_<random>)')
    .option('--exclude-credentials', 'exclude credentials from the snapshot')
    .option('--exclude-logs', 'exclude logs from the snapshot')
    .option('--exclude-events', 'exclude events from the snapshot')
    .option('--queue', 'queue the creation if other executions are running')
    .action(s('create'));
  g.command('restore')
    .description('Restore a manager from a snapshot [manager only]')
    .argument('<snapshot-id>')
    .option('--without-deployment-envs', 'restore without recreating the deployment environments')
    .option('-f, --force', 'restore even though the manager is not empty (its data is deleted)')
    .option('--restore-certificates', 'restore the certificates of the snapshot too')
    .option('--no-reboot', 'do not reboot after restoring certificates')
    .option('-i, --ignore-plugin-failure', 'continue the restore if a plugin fails to install')
    .action(s('restore'));
  g.command('status')
    .description('Show the status of the snapshot restore workflow [manager only]')
    .action(s('status'));
  listOptions(tenantOption(g.command('list').description('List snapshots [manager only]'))).action(s('list'));
  tenantOption(
    g
      .command('download')
      .description('Download a snapshot [manager only]')
      .argument('<snapshot-id>')
      .option('-o, --output-path <path>', 'where to write the snapshot (default: <snapshot-id>.zip)'),
  ).action(s('download'));
  tenantOption(
    g
      .command('upload')
      .description('Upload a snapshot [manager only]')
      .argument('<snapshot-path>', 'a snapshot archive file, or an http(s) URL the manager fetches')
      .option('-s, --snapshot-id <id>', 'the id to give the snapshot (default: snapshot_<random>)'),
  ).action(s('upload'));
  tenantOption(
    g.command('delete').description('Delete a snapshot [manager only]').argument('<snapshot-id>'),
  ).action(s('delete'));
}
