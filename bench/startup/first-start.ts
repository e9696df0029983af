// How long `npm start` (the embedded all-in-one, `cfy_manager serve` from the build) takes from spawn to its
// first HTTP answer: on a new data directory (the first start: the database copied from the build's
// template, the admin and tenant created) and on the same directory again (a restart); with the resident
// memory 5 s after that answer. The floor, in the same run, is a bare node process that starts an HTTP
// server and answers. Interleaved rounds; medians. Writes the `first-start` section of docs/benchmarks.md.
// Run: npm run bench:first-start   (BENCH_FIRST_START_ROUNDS, default 5)
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../test/helpers/postgres.js';
import { commitOf } from '../commit.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ROUNDS = Number(process.env.BENCH_FIRST_START_ROUNDS ?? 5);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const answers = (port: number) =>
  new Promise<boolean>((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v3.1/status', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });

const rssMb = (pid: number) =>
  Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** Spawn, poll every 20 ms until an HTTP answer; the milliseconds that took, and the RSS 5 s later. */
async function timed(args: string[], port: number, env: Record<string, string> = {}) {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: 'ignore' });
  try {
    while (!(await answers(port))) {
      if (child.exitCode !== null) throw new Error(`${args.join(' ')} exited ${child.exitCode}`);
      if (performance.now() - t0 > 120_000) throw new Error(`${args.join(' ')}: no answer in 120 s`);
      await sleep(20);
    }
    const ms = performance.now() - t0;
    await sleep(5000);
    return { ms, rss: rssMb(child.pid!) };
  } finally {
    await stop(child);
  }
}

const FLOOR = `require('node:http').createServer((q, s) => s.end('ok')).listen(+process.argv[1], '127.0.0.1')`;
const serve = (dir: string, port: number) => [
  join(ROOT, 'bin/cfy_manager'),
  'serve',
  '--data-dir',
  dir,
  '--port',
  String(port),
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const load0 = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');
const runs = { floor: [] as number[], first: [] as number[], again: [] as number[] };
const rss = { first: [] as number[], again: [] as number[] };
const env = { STRATUS_ADMIN_PASSWORD: 'bench-first-start-pw' };
for (let i = 0; i < ROUNDS; i++) {
  const port = await freePort();
  runs.floor.push((await timed(['-e', FLOOR, String(port)], port)).ms);
  const dir = mkdtempSync(join(tmpdir(), 'stratus-first-start-'));
  try {
    const first = await timed(serve(dir, port), port, env);
    runs.first.push(first.ms);
    rss.first.push(first.rss);
    const again = await timed(serve(dir, port), port, env);
    runs.again.push(again.ms);
    rss.again.push(again.rss);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.stderr.write(`[bench:first-start] round ${i + 1}/${ROUNDS}\n`);
}
const load1 = loadavg()
  .map((x) => x.toFixed(2))
  .join(' ');

const floor = median(runs.floor);
const row = (what: string, xs: number[], mem?: number[]) =>
  `| ${what} | ${median(xs).toFixed(0)} ms | ${(median(xs) / floor).toFixed(1)}× | ${mem ? `${median(mem).toFixed(0)} MB` : '-'} |`;
const section = [
  '<!-- first-start:start -->',
  '## First start of the embedded default (`npm run bench:first-start`)',
  '',
  `Measured on ${new Date().toISOString().slice(0, 10)}, commit ${commitOf(ROOT)}, node ${process.version}, 2 cores, ` +
    `load average ${load0} before and ${load1} after. Spawn to the first HTTP answer, median of ${ROUNDS} ` +
    'interleaved rounds; RSS 5 s after that answer. The floor is a bare node HTTP server in the same run.',
  '',
  '| what | to first answer | ratio to the floor | RSS |',
  '|---|---|---|---|',
  row('floor: bare node HTTP server', runs.floor),
  row('`cfy_manager serve`, new data directory (first start)', runs.first, rss.first),
  row('`cfy_manager serve`, the same directory again (restart)', runs.again, rss.again),
  '<!-- first-start:end -->',
].join('\n');
console.log(section);

const file = join(ROOT, 'docs/benchmarks.md');
const current = readFileSync(file, 'utf8');
const re = /<!-- first-start:start -->[\s\S]*<!-- first-start:end -->/;
writeFileSync(file, re.test(current) ? current.replace(re, section) : `${current.trimEnd()}\n\n${section}\n`);
