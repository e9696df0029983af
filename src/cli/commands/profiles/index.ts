// `cfy profiles` (cfy-cli.md A.3).
import { type Command, InvalidArgumentError, Option } from 'commander';
import { lazy } from '../shared.js';

const port = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('It must be a port number from 1 to 65535.');
  return n;
};

function credentialOptions(cmd: Command): Command {
  return cmd
    .option('-s, --ssh-user <user>', 'the SSH user on the manager host')
    .option('-k, --ssh-key <path>', 'the path to the SSH key')
    .option('--ssh-port <port>', 'the SSH port')
    .option('-u, --manager-username <username>', 'the manager username (or CLOUDIFY_USERNAME)')
    .option('-p, --manager-password <password>', 'the manager password (or CLOUDIFY_PASSWORD)')
    .option('-t, --manager-tenant <tenant>', 'the tenant (or CLOUDIFY_TENANT)')
    .option(
      '-T, --manager-token <token>',
      'an API token instead of a username and password (or CLOUDIFY_TOKEN)',
    )
    .option('--rest-port <port>', 'the REST port (default 80, or 443 with --ssl)', port)
    .option('-c, --rest-certificate <path>', "the manager's CA certificate; implies SSL")
    .option('--kerberos-env', 'use Kerberos')
    .option('--skip-credentials-validation', 'do not check the credentials against the manager');
}

export function registerProfileCommands(program: Command): void {
  const g = program.command('profiles').description('Handle CLI profiles (manager connections)');
  credentialOptions(
    g
      .command('use')
      .description('Control a specific manager (create the profile on first use)')
      .argument('<manager-ip>', 'the manager address (or `local`)')
      .option('--profile-name <name>', 'the profile name (default: the address)')
      .option('--ssl', 'connect over https (port 443 unless --rest-port)'),
  ).action(lazy(() => import('./use.js')));
  g.command('list')
    .description('List all profiles')
    .action(lazy(() => import('./list.js')));
  g.command('show-current')
    .description('Show the active profile')
    .action(lazy(() => import('./show-current.js')));
  g.command('delete')
    .description('Delete a profile')
    .argument('<profile-name>')
    .action(lazy(() => import('./delete.js')));
  credentialOptions(
    g
      .command('set')
      .description('Change the active profile')
      .option('--profile-name <name>', 'rename the profile')
      .option('-m, --manager-ip <address>', 'change the manager address')
      .addOption(new Option('--ssl <state>', 'turn SSL on or off').choices(['on', 'off'])),
  ).action(lazy(() => import('./set.js')));
  g.command('set-cluster')
    .description('Set per-node connection settings on a cluster node of the profile')
    .argument('<cluster-node-name>', 'the hostname of the node')
    .option('-s, --ssh-user <user>', 'the SSH user')
    .option('-k, --ssh-key <path>', 'the path to the SSH key')
    .option('--ssh-port <port>', 'the SSH port')
    .option('-c, --rest-certificate <path>', "the node's CA certificate (forces https)")
    .action(lazy(() => import('./set-cluster.js')));
  g.command('unset')
    .description('Clear settings of the active profile')
    .option('-u, --manager-username', 'clear the username')
    .option('-p, --manager-password', 'clear the password')
    .option('-t, --manager-tenant', 'clear the tenant')
    .option('-T, --manager-token', 'clear the token')
    .option('-s, --ssh-user', 'clear the SSH user')
    .option('-k, --ssh-key', 'clear the SSH key')
    .option('-c, --rest-certificate', 'clear the REST certificate')
    .option('--kerberos-env', 'clear the Kerberos setting')
    .option('--skip-credentials-validation', 'do not check the remaining credentials')
    .action(lazy(() => import('./unset.js')));
  g.command('export')
    .description('Export all profiles to an archive')
    .option('--include-keys', 'include the SSH keys of the profiles')
    .option('-o, --output-path <path>', 'the archive to write', 'cfy-profiles.tar.gz')
    .action(lazy(() => import('./export.js')));
  g.command('import')
    .description('Import profiles from an archive made by `cfy profiles export`')
    .argument('<archive-path>')
    .option('--include-keys', 'also restore the SSH keys')
    .action(lazy(() => import('./import.js')));
}
