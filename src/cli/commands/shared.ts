// Helpers every command declaration uses: the lazy action loader and the options Cloudify repeats.
// Declarations import only commander and light helpers, so that `cfy --help` loads no action, no REST
// client and no YAML parser (test/architecture/startup.test.ts checks it).
import { type Command, Option } from 'commander';
import type { ListParams } from '../client/types.js';
import type { Ctx } from '../context.js';
import { usageError } from '../errors.js';

// Action files declare their own option shapes.
export type Action = (c: Ctx, o: any, ...args: any[]) => Promise<void>;

/** The action file, and the context with its REST client, are imported only when the command runs (style §6.15). */
export function lazy(load: () => Promise<{ run: Action }>) {
  return async (...args: unknown[]): Promise<void> => {
    const cmd = args.at(-1) as Command;
    const opts = args.at(-2);
    const [{ run }, { Ctx }] = await Promise.all([load(), import('../context.js')]);
    await run(Ctx.of(cmd), opts, ...args.slice(0, -2));
  };
}

/** Commander collector for a repeatable option (-i, -p, -n, …). */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export const tenantOption = (cmd: Command): Command =>
  cmd.option(
    '-t, --tenant-name <name>',
    'the name of the tenant of the resource (default: the profile tenant)',
  );

export const visibilityOption = (cmd: Command): Command =>
  cmd.addOption(
    new Option('-l, --visibility <visibility>', 'who can see the resource')
      .choices(['private', 'tenant', 'global'])
      .default('tenant'),
  );

const intArg = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw usageError(`${name} must be a non-negative integer, got "${v}"`);
  return n;
};

export function listOptions(cmd: Command, withAllTenants = true): Command {
  cmd
    .option('--sort-by <field>', 'key for sorting the list')
    .option('--descending', 'sort in descending order')
    .option('--search <text>', 'search resources by id/name (substring)')
    .option(
      '-o, --pagination-offset <n>',
      'the number of resources to skip',
      intArg('--pagination-offset'),
      0,
    )
    .option(
      '-s, --pagination-size <n>',
      'the max number of results to retrieve',
      intArg('--pagination-size'),
      1000,
    );
  if (withAllTenants) cmd.option('-a, --all-tenants', 'include resources from all tenants the user can see');
  return cmd;
}

export interface ListOpts {
  sortBy?: string;
  descending?: boolean;
  search?: string;
  paginationOffset: number;
  paginationSize: number;
  allTenants?: boolean;
  tenantName?: string;
}

export function listParams(o: ListOpts, filters: Record<string, string | undefined> = {}): ListParams {
  const clean = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
  return {
    sort: o.sortBy,
    descending: o.descending,
    search: o.search,
    offset: o.paginationOffset,
    size: o.paginationSize,
    allTenants: o.allTenants,
    filters: clean,
  };
}
