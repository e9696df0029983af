// `cfy executions` (cfy-cli.md A.8, A.9).
import { type Command, InvalidArgumentError } from 'commander';
import { collect, lazy, listOptions, tenantOption } from '../shared.js';

const seconds = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('It must be a positive number of seconds.');
  return n;
};

export function startOptions(cmd: Command): Command {
  return cmd
    .option(
      '-p, --parameters <params>',
      'workflow parameters: a YAML/JSON file, JSON/YAML, or k1=v1;k2=v2 (repeatable)',
      collect,
    )
    .option('--allow-custom-parameters', 'allow parameters the workflow does not declare')
    .option('-f, --force', 'run even if another execution is running on the deployment')
    .option('--timeout <seconds>', 'stop waiting after this many seconds', seconds, 900)
    .option('--include-logs', 'include logs in the event stream (default)', true)
    .option('--no-logs', 'do not include logs in the event stream')
    .option('--json-output', 'print each event as one JSON line');
}

export function registerExecutionCommands(program: Command): void {
  const g = program.command('executions').description('Handle workflow executions');
  tenantOption(
    startOptions(
      g
        .command('start')
        .description('Execute a workflow on a deployment and stream its events')
        .argument('<workflow-id>')
        .requiredOption('-d, --deployment-id <id>', 'the deployment')
        .option('--dry-run', 'run the workflow without running its operations')
        .option('--queue', 'queue the execution if another one is running')
        .option(
          '--wait-after-fail <seconds>',
          'seconds to let other operations finish after a failure',
          Number,
          600,
        ),
    ),
  ).action(lazy(() => import('./start.js')));
  listOptions(
    tenantOption(
      g
        .command('list')
        .description('List executions')
        .option('-d, --deployment-id <id>', 'only those of this deployment')
        .option('--include-system-workflows', 'include system workflows'),
    ),
  ).action(lazy(() => import('./list.js')));
  tenantOption(g.command('get').description('Show an execution').argument('<execution-id>')).action(
    lazy(() => import('./get.js')),
  );
  tenantOption(
    g
      .command('cancel')
      .description('Cancel an execution')
      .argument('<execution-id>')
      .option('-f, --force', 'force-cancel: stop waiting for running operations')
      .option('-k, --kill', 'kill the execution and its running operations'),
  ).action(lazy(async () => ({ run: (await import('./action.js')).cancel })));
  tenantOption(
    g
      .command('resume')
      .description('Resume a failed or cancelled execution')
      .argument('<execution-id>')
      .option('--reset-operations', 'also rerun operations that were started (force-resume)'),
  ).action(lazy(async () => ({ run: (await import('./action.js')).resume })));
}
