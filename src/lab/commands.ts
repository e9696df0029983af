// `cfy_manager lab …`: declarations only; each action lazily imports the lab.
import type { Command } from 'commander';
import { DEFAULTS } from './options.js';

interface GroupOpts {
  stateDir?: string;
  subnet?: string;
  bridge?: string;
}

/** A lab command's body: a string is printed, a number is the exit code. */
type LabFn = (lab: import('./lab.js').Lab, ...args: any[]) => Promise<string | number | undefined>;
type Action = (fn: LabFn) => (...args: any[]) => Promise<void>;

export function registerLabCommands(program: Command): void {
  const lab = declareLabGroup(program);
  const action = labAction(lab);
  registerSetupCommands(lab, action);
  registerNodeCommands(lab, action);
  lab
    .command('install')
    .description(
      'install the whole cluster as the guide does: certificates, config.yaml, then cfy_manager install on every node',
    )
    .action(
      action(async (l) => {
        const { installSequence } = await import('./install.js');
        return installSequence(l, (m) => process.stdout.write(`${m}\n`));
      }),
    );
}

/** `lab` and the options every lab command shares. */
function declareLabGroup(program: Command): Command {
  return program
    .command('lab')
    .description("Cloudify's HA topology as namespaced nodes on this host (needs root)")
    .option(
      '--state-dir <dir>',
      `lab state and node directories (env STRATUS_LAB_DIR, default ${DEFAULTS.stateDir})`,
    )
    .option('--subnet <cidr>', `lab bridge subnet (env STRATUS_LAB_SUBNET, default ${DEFAULTS.subnet})`)
    .option('--bridge <name>', `lab bridge name (env STRATUS_LAB_BRIDGE, default ${DEFAULTS.bridge})`)
    .enablePositionalOptions();
}

/** Wraps a command body: builds the Lab from the group options, prints its result, turns errors into exit 1. */
function labAction(lab: Command): Action {
  return (fn) =>
    async (...args) => {
      const { Lab } = await import('./lab.js');
      const { describeError } = await import('./errors.js');
      try {
        const instance = new Lab(lab.opts<GroupOpts>(), (m) => process.stderr.write(`${m}\n`));
        const out = await fn(instance, ...args);
        if (typeof out === 'number') process.exitCode = out;
        else if (out) process.stdout.write(`${out}\n`);
      } catch (err) {
        process.stderr.write(`error: ${describeError(err)}\n`);
        process.exitCode = 1;
      }
    };
}

/** up, down, status: the lab as a whole. */
function registerSetupCommands(lab: Command, action: Action): void {
  lab
    .command('up')
    .description('create the nodes (idempotent)')
    .option(
      '--topology <file>',
      'best-practice (10 nodes, default), compact (3), all-in-one (1), or a YAML file',
    )
    .action(action((l, o: { topology?: string }) => l.up(o.topology)));
  lab
    .command('down')
    .description('remove every namespace, link, mount, process and directory the lab created')
    .action(action((l) => l.down()));
  lab
    .command('status')
    .description('list nodes, IPs, roles, running or stopped, link up or cut')
    .option('--json', 'print JSON')
    .action(
      action(async (l, o: { json?: boolean }) => {
        const rows = await l.status();
        if (o.json) return JSON.stringify(rows, null, 2);
        const { formatStatus } = await import('./format.js');
        return formatStatus(rows);
      }),
    );
}

/** exec, shell and the operator's actions on one node. */
function registerNodeCommands(lab: Command, action: Action): void {
  lab
    .command('exec')
    .description('run a command inside a node; stdin, stdout and the exit code pass through')
    .argument('<node>')
    .argument('<cmd...>', 'the command, after --')
    .passThroughOptions()
    .action(
      // passThroughOptions keeps a leading `--` among the operands
      action((l, node: string, cmd: string[]) =>
        l.execInteractive(node, cmd[0] === '--' ? cmd.slice(1) : cmd),
      ),
    );
  lab
    .command('shell')
    .description('open a login shell inside a node')
    .argument('<node>')
    .action(action((l, node: string) => l.execInteractive(node, ['/bin/bash', '-l'])));
  for (const [verb, text] of [
    ['stop', 'stop a node gracefully (SIGTERM to its supervisord, then whatever is left)'],
    ['kill', 'SIGKILL everything in a node'],
    ['start', 'start a stopped or killed node'],
    ['partition', "cut a node's network link"],
    ['heal', "restore a node's network link"],
  ] as const) {
    lab
      .command(verb)
      .description(text)
      .argument('<node>')
      .action(action((l, node: string) => l[verb](node)));
  }
}
