// Cloudify's AliasedGroup: any unambiguous prefix of a subcommand works (`cfy dep li`), an ambiguous
// one fails with "Too many matches", an unknown one suggests up to 3 names (difflib, cutoff 0.5).
// Runs on argv before commander parses it, walking the command tree and skipping option values.
import type { Command, Option } from 'commander';
import { usageError } from './errors.js';

/** difflib.SequenceMatcher(None, a, b).ratio() */
export function similarity(a: string, b: string): number {
  const matches = (a1: number, a2: number, b1: number, b2: number): number => {
    let best = 0;
    let bi = 0;
    let bj = 0;
    for (let i = a1; i < a2; i++) {
      for (let j = b1; j < b2; j++) {
        let k = 0;
        while (i + k < a2 && j + k < b2 && a[i + k] === b[j + k]) k++;
        if (k > best) {
          best = k;
          bi = i;
          bj = j;
        }
      }
    }
    if (best === 0) return 0;
    return best + matches(a1, bi, b1, bj) + matches(bi + best, a2, bj + best, b2);
  };
  const total = a.length + b.length;
  return total === 0 ? 1 : (2 * matches(0, a.length, 0, b.length)) / total;
}

export function suggestions(word: string, names: string[], n = 3, cutoff = 0.5): string[] {
  return names
    .map((name) => ({ name, r: similarity(word, name) }))
    .filter((x) => x.r >= cutoff)
    .sort((x, y) => y.r - x.r)
    .slice(0, n)
    .map((x) => x.name);
}

function findOption(cmd: Command | null, token: string): Option | undefined {
  for (let c = cmd; c; c = c.parent) {
    const o = c.options.find((op) => op.short === token || op.long === token);
    if (o) return o;
  }
  return undefined;
}

const takesValue = (o: Option | undefined): boolean => Boolean(o && (o.required || o.optional));

export function resolvePrefixes(program: Command, args: string[]): string[] {
  const out: string[] = [];
  let cmd: Command = program;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      out.push(...args.slice(i));
      break;
    }
    if (a.startsWith('-') && a.length > 1) {
      out.push(a);
      if (a.includes('=')) continue;
      // `-vvv` and other bundled short flags take no separate value unless the last one does.
      const token = a.startsWith('--') ? a : `-${a.at(-1)}`;
      if (
        takesValue(findOption(cmd, token)) &&
        (a.startsWith('--') || a.length === 2) &&
        i + 1 < args.length
      ) {
        out.push(args[++i]!);
      }
      continue;
    }
    const subs = cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
    if (subs.length === 0 || a === 'help') {
      out.push(a);
      continue;
    }
    const exact = cmd.commands.find((c) => c.name() === a || c.aliases().includes(a));
    if (exact) {
      out.push(a);
      cmd = exact;
      continue;
    }
    const names = subs.map((c) => c.name());
    const hits = names.filter((n) => n.startsWith(a));
    const where = cmd === program ? 'cfy' : `cfy ${path(cmd)}`;
    if (hits.length === 1) {
      out.push(hits[0]!);
      cmd = cmd.commands.find((c) => c.name() === hits[0])!;
      continue;
    }
    if (hits.length > 1)
      throw usageError(
        `Too many matches: ${hits.sort().join(', ')}`,
        `type more of the command name after "${where}"`,
      );
    const near = suggestions(a, names);
    throw usageError(
      `No such command "${a}".${near.length ? ` Did you mean one of these? ${near.join(', ')}` : ''}`,
      `run \`${where} --help\` for the list of commands`,
    );
  }
  return out;
}

export function path(cmd: Command): string {
  const parts: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) parts.unshift(c.name());
  return parts.join(' ');
}
