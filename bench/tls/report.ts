// The `tls` section of docs/benchmarks.md from the rows of one run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { WrkResult } from './wrk.js';

export interface Row extends WrkResult {
  config: string;
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

export function section(
  rows: Row[],
  o: { root: string; seconds: number; connections: number; loads: number[]; nginx: string },
): string {
  const floorOf = (m: Row['measure']) =>
    rows.find(
      (r) => r.config.startsWith('floor') && r.measure === (m === 'handshake' ? 'handshake' : 'status'),
    );
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const line = (r: Row) => {
    const f = floorOf(r.measure);
    const share = f && !r.config.startsWith('floor') ? `${((100 * r.rps) / f.rps).toFixed(1)}%` : '100%';
    return `| ${r.config} | ${LABEL[r.measure]} | ${r.rps.toFixed(0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${share} | ${r.cpuPerReq.toFixed(2)} ms | ${r.rss.toFixed(0)} MB | ${r.errors} | ${r.load.toFixed(2)} |`;
  };
  return [
    '## TLS front',
    '',
    `\`npm run bench:tls\` on ${new Date().toISOString().slice(0, 10)}, commit ${commit(o.root)}. Machine: ${machine()}, ${o.nginx}.`,
    'The servers, PostgreSQL 15, RabbitMQ and the load generator (wrk, one thread) share the two cores.',
    `1-minute load average: ${o.loads.map((l) => l.toFixed(2)).join(' → ')} (before the run, after each configuration); the last column is at the end of each measurement.`,
    `Keep-alive: wrk, ${o.connections} connections. New connections: 16 loops in node that each connect, do a full TLS handshake (never a resumed session),`,
    'send one request with `Connection: close` and read the answer; their latency includes the handshake.',
    `${o.seconds} s per measurement after a 2 s warm-up, authenticated with an API token; certificates RSA 4096 as the installer makes them;`,
    '"of floor" is req/s as a share of a bare node:https server answering a constant, measured in the same run',
    '(keep-alive rows against its keep-alive figure, new-connection rows against its new-connection figure);',
    '"CPU/req" is the CPU time of the server processes (nginx and every manager process) per answered request.',
    '',
    '| configuration | measure | req/s | p50 | p99 | of floor | CPU/req | RSS | errors | load |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(line),
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
