// What one `ctx` call costs a script: the client that scripts run (the worker's one-file build of
// src/worker/ctx-cli.ts) against a proxy that answers at once, next to a bare node start (the floor) and
// the client of an earlier commit (BENCH_CTX_BASE, when set). Interleaved runs,
// medians. Writes its section of docs/benchmarks.md.
// Run: npm run bench:ctx   (BENCH_CTX_RUNS, default 21; BENCH_CTX_BASE=<commit> adds that commit's client)
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';

const RUNS = Number(process.env.BENCH_CTX_RUNS ?? 21);
const BASE = process.env.BENCH_CTX_BASE;
const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'bench-ctx-'));

/** The same one-file build the worker makes (src/worker/ctx-bin.ts). */
function build(source: string, name: string): string {
  const { code } = transformSync(source, { loader: 'ts', format: 'cjs', target: 'node20' });
  const file = join(dir, name);
  writeFileSync(file, `#!${process.execPath}\n${code}\nmodule.exports.main(process.argv);\n`);
  chmodSync(file, 0o755);
  return file;
}

const clients: Record<string, string> = {
  'this tree': build(readFileSync(join(root, 'src/worker/ctx-cli.ts'), 'utf8'), 'ctx'),
};
if (BASE) {
  const old = execFileSync('git', ['show', `${BASE}:src/worker/ctx-cli.ts`], { cwd: root, encoding: 'utf8' });
  clients[`commit ${BASE}`] = build(old, 'ctx-base');
}

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"type":"result","payload":"vm_abc123"}');
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;

const timed = (cmd: string, args: string[]) =>
  new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    spawn(cmd, args, { env: { ...process.env, CTX_SOCKET_URL: url }, stdio: 'ignore' })
      .on('error', reject)
      .on('close', (code) =>
        code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd} exited ${code}`)),
      );
  });

const load = () =>
  loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const loadBefore = load();
const times: Record<string, number[]> = { floor: [] };
for (const k of Object.keys(clients)) times[k] = [];
for (let i = 0; i < RUNS; i++) {
  times.floor!.push(await timed(process.execPath, ['-e', '0']));
  for (const [k, file] of Object.entries(clients)) times[k]!.push(await timed(file, ['instance', 'id']));
}
server.close();
rmSync(dir, { recursive: true, force: true });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const floor = median(times.floor!);
const rows = Object.entries(times).map(([k, xs]) => {
  const m = median(xs);
  const what = k === 'floor' ? 'floor: `node -e 0`' : `\`ctx instance id\`, the client of ${k}`;
  return `| ${what} | ${m.toFixed(0)} ms | ${(m / floor).toFixed(2)}× |`;
});
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
const section = [
  '<!-- ctx:start -->',
  '## One `ctx` call (`npm run bench:ctx`)',
  '',
  `Measured on ${new Date().toISOString().slice(0, 10)}, commit ${commit}, node ${process.version}, 1-minute load average ${loadBefore} before and ${load()} after.`,
  `Median of ${RUNS} runs each, interleaved: the client scripts run, against a proxy that answers at once; the floor is a bare node start in the same run.`,
  '',
  '| what | median | ratio to the floor |',
  '|---|---|---|',
  ...rows,
  '<!-- ctx:end -->',
].join('\n');
const doc = join(root, 'docs/benchmarks.md');
const text = existsSync(doc) ? readFileSync(doc, 'utf8') : '# Benchmarks\n';
const re = /<!-- ctx:start -->[\s\S]*<!-- ctx:end -->/;
writeFileSync(doc, re.test(text) ? text.replace(re, section) : `${text.trimEnd()}\n\n${section}\n`);
console.log(section);
