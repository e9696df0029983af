// The `tls` section of docs/benchmarks.md from the rows of one run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { WrkResult } from './wrk.js';

export interface Row extends WrkResult {
  config: string;
  round: number;
  measure: 'status' | 'list' | 'handshake';
  /** CPU ms of the server processes (nginx and the manager) per answered request. */
  cpuPerReq: number;
  rss: number;
  load: number;
}

const LABEL = {
  status: 'GET /status, keep-alive',
  list: 'GET /deployments?_size=100, keep-alive',
  handshake: 'GET /status, new TLS connection each',
};

function machine(): string {
  const model =
    /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? 'unknown CPU';
  return `${cpus().length} × ${model}, node ${process.version}`;
}

function commit(root: string): string {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root }).toString().trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: root })
      .toString()
      .trim();
    return dirty ? `${sha} (with uncommitted changes)` : sha;
  } catch {
    return 'unknown';
  }
}

const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
};

interface Options {
  root: string;
  seconds: number;
  rounds: number;
  connections: number;
  loads: number[];
  nginx: string;
}

/** One line per configuration and measure: medians over the rounds; "of floor" per round, then the median. */
function lines(samples: Row[]): string[] {
  const floorKind = (m: Row['measure']) => (m === 'handshake' ? 'handshake' : 'status');
  const floorOf = (s: Row) =>
    samples.find(
      (f) => f.config.startsWith('floor') && f.measure === floorKind(s.measure) && f.round === s.round,
    );
  const keys = [...new Set(samples.map((s) => `${s.config}\u0000${s.measure}`))];
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  return keys.map((k) => {
    const [config, measure] = k.split('\u0000') as [string, Row['measure']];
    const rs = samples.filter((s) => s.config === config && s.measure === measure);
    const rps = rs.map((r) => r.rps);
    const share = config.startsWith('floor')
      ? '100%'
      : `${median(rs.map((r) => (100 * r.rps) / (floorOf(r)?.rps ?? Number.NaN))).toFixed(1)}%`;
    const spread = `${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}`;
    const errors = rs.reduce((a, r) => a + r.errors, 0);
    const loads = rs.map((r) => r.load);
    return `| ${config} | ${LABEL[measure]} | ${median(rps).toFixed(0)} (${spread}) | ${ms(median(rs.map((r) => r.p50)))} | ${ms(median(rs.map((r) => r.p99)))} | ${share} | ${median(rs.map((r) => r.cpuPerReq)).toFixed(2)} ms | ${Math.max(...rs.map((r) => r.rss)).toFixed(0)} MB | ${errors} | ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} |`;
  });
}

export function section(samples: Row[], o: Options): string {
  return [
    '## TLS front',
    '',
    `\`npm run bench:tls\` on ${new Date().toISOString().slice(0, 10)}, commit ${commit(o.root)}. Machine: ${machine()}, ${o.nginx}.`,
    'The servers, PostgreSQL 15, RabbitMQ and the load generators share the two cores (and so does other work on the machine).',
    `Every configuration runs at once; they are measured in turn, ${o.rounds} rounds of ${o.seconds} s each (after a 1 s warm-up), and each figure is the median of its rounds.`,
    `1-minute load average: ${o.loads.map((l) => l.toFixed(2)).join(' → ')} (before the run, after each round); the last column is its range at the end of the measurements.`,
    `Keep-alive: wrk (one thread), ${o.connections} connections. New connections: 16 loops in node that each connect, do a full TLS handshake (never a resumed session),`,
    'send one request with `Connection: close` and read the answer; their latency includes the handshake.',
    'Authenticated with an API token; certificates RSA 4096 as the installer makes them.',
    '"of floor": req/s as a share of a bare node:https server answering a constant, in the same round',
    '(keep-alive rows against its keep-alive figure, new-connection rows against its new-connection figure);',
    '"CPU/req": CPU time of the server processes (nginx and every manager process) per answered request.',
    '',
    '| configuration | measure | req/s (min–max) | p50 | p99 | of floor | CPU/req | RSS | errors | load |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...lines(samples),
  ].join('\n');
}

export function writeSection(root: string, text: string): string {
  const file = join(root, 'docs/benchmarks.md');
  const block = `<!-- tls:start -->\n${text}\n<!-- tls:end -->`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '# Benchmarks\n';
  const re = /<!-- tls:start -->[\s\S]*<!-- tls:end -->/;
  writeFileSync(file, re.test(old) ? old.replace(re, block) : `${old.trimEnd()}\n\n${block}\n`);
  return file;
}
