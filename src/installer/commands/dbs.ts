// `cfy_manager dbs list|add|remove|reinit|set-master` (reference §1.3, §4.5–4.7): the flags only; the
// actions are in dbs-actions.ts.
import type { Command } from 'commander';
import { action, addConfigFlags, type CommonOpts } from './common.js';
import type { AddressOpts } from './dbs-actions.js';

const actions = () => import('./dbs-actions.js');

export function registerDbsCommands(program: Command): void {
  const dbs = program.command('dbs').description('Day-2 operations on the database cluster');
  addConfigFlags(
    dbs
      .command('list')
      .description('Status table of the DB cluster; exit code 0 healthy, 1 degraded, 2 down'),
  ).action(action(async (o: CommonOpts) => (await actions()).list(o)));
  const withAddress = (name: string, text: string, run: 'add' | 'remove' | 'reinit' | 'setMaster') =>
    addConfigFlags(
      dbs.command(name).description(text).requiredOption('-a, --address <ip>', 'the DB node address'),
    ).action(action(async (o: AddressOpts) => (await actions())[run](o)));
  withAddress('add', 'Manager side: add a DB node to this manager', 'add');
  withAddress('remove', 'Remove a DB node (DB node: from the cluster; manager: from this manager)', 'remove');
  withAddress('reinit', 'Re-create a replica from the leader (patronictl reinit)', 'reinit');
  withAddress('set-master', 'Switch the leader to the given node', 'setMaster');
}
