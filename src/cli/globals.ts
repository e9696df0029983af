// The program's global flags (-v, --json, --format, -q, --manager) as an action sees them. Kept apart from
// context.ts so that main.ts reads them without loading the REST client.
import type { Command } from 'commander';

export interface GlobalOptions {
  verbose: number;
  json: boolean;
  quiet: boolean;
  /** --manager HOST: pin one cluster node, no failover. */
  manager?: string;
}

export function globalsOf(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as Record<string, unknown>;
  const format = o.format as string | undefined;
  return {
    verbose: Number(o.verbose ?? 0),
    json: Boolean(o.json) || format === 'json',
    quiet: Boolean(o.quiet),
    manager: o.manager as string | undefined,
  };
}
