// What serving 8009 from Prometheus itself (TLS + bcrypt basic auth, the web config the installer renders)
// costs against Cloudify's nginx in front of a loopback Prometheus (TLS, auth_basic with an apr1 htpasswd,
// proxy_pass): the latency of an authenticated GET /monitoring/-/healthy and of a federate request with
// match[] (kept-alive connection and a new TLS connection each time), and the RSS of the processes.
// Run: npm run bench:monitoring [-- requests]   (root; Debian's prometheus and nginx-light installed)
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { generateCa, generateLeaf } from '../../src/installer/certs/x509.js';
import { renderWebConfig } from '../../src/installer/components/monitoring/render.js';
import { layoutUnder } from '../../src/installer/components/monitoring/settings.js';
import { freePort } from '../../test/helpers/postgres.js';

const N = Number(process.argv[2] ?? 300);
const USER = 'monitoring_user';
const PASSWORD = 'm0n1torify-bench';
const IP = '127.0.0.1';
const work = mkdtempSync(join(tmpdir(), 'stratus-bench-monitoring-'));
chmodSync(work, 0o755); // nginx's workers run as nobody
const procs: ChildProcess[] = [];

function prometheus(dir: string, listen: string, extra: string[]): ChildProcess {
  mkdirSync(join(dir, 'data'), { recursive: true });
  const cfg = `global: {scrape_interval: 1s}\nscrape_configs: [{job_name: prometheus, metrics_path: /monitoring/metrics, static_configs: [{targets: ['127.0.0.1:1']}]}]\n`;
  writeFileSync(join(dir, 'prometheus.yml'), cfg);
  const p = spawn(
    '/usr/bin/prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=${listen}`,
      `--web.external-url=https://${IP}:8009/monitoring`,
      '--log.level=warn',
      ...extra,
    ],
    { stdio: 'ignore', env: { ...process.env, GOMAXPROCS: '1' } },
  );
  procs.push(p);
  return p;
}

function nginx(dir: string, port: number, upstream: number, cert: string, key: string): ChildProcess {
  const htpasswd = `${USER}:${execFileSync('openssl', ['passwd', '-apr1', '-stdin'], { input: PASSWORD }).toString().trim()}\n`;
  writeFileSync(join(dir, 'htpasswd'), htpasswd);
  const conf = `worker_processes auto;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/tmp; proxy_temp_path ${dir}/tmp;
  ssl_protocols TLSv1.2;
  server {
    listen ${port} ssl http2 default_server;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    location /monitoring {
      auth_basic "Cloudify Monitoring Service";
      auth_basic_user_file ${dir}/htpasswd;
      proxy_pass http://127.0.0.1:${upstream};
      proxy_http_version 1.1;
    }
  }
}
`;
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const p = spawn('/usr/sbin/nginx', ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  procs.push(p);
  return p;
}

function get(port: number, path: string, ca: string, agent: Agent | false): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: IP, port, path, ca, agent, auth: `${USER}:${PASSWORD}` }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function ready(port: number, ca: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await get(port, '/monitoring/-/ready', ca, false).catch(() => 0)) === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing ready on ${port}`);
}

async function perRequest(
  port: number,
  path: string,
  ca: string,
  keepAlive: boolean,
  n: number,
): Promise<number> {
  const agent = keepAlive ? new Agent({ keepAlive: true, maxSockets: 1 }) : false;
  for (let i = 0; i < 5; i++) await get(port, path, ca, agent);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++)
    if ((await get(port, path, ca, agent)) !== 200) throw new Error(`${path}: not 200`);
  if (agent) agent.destroy();
  return Number(process.hrtime.bigint() - t0) / 1e6 / n;
}

/** RSS in MB of a process and its children (nginx: master + workers). */
function rssMb(pid: number): number {
  const pids = [pid];
  for (const e of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (readFileSync(`/proc/${e}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(pid))
        pids.push(Number(e));
    } catch {}
  }
  const kb = pids.reduce(
    (s, p) => s + Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0),
    0,
  );
  return Math.round(kb / 102.4) / 10;
}

async function main(): Promise<void> {
  const ca = await generateCa();
  const leaf = await generateLeaf(IP, [IP], ca);
  const layout = layoutUnder(join(work, 'direct'), join(work, 'direct', 'data'), join(work, 'ssl'), work);
  mkdirSync(join(work, 'ssl'), { recursive: true });
  mkdirSync(join(work, 'direct'), { recursive: true });
  writeFileSync(layout.cert, leaf.certPem);
  writeFileSync(layout.key, leaf.keyPem, { mode: 0o400 });
  writeFileSync(layout.webConfig, renderWebConfig(layout, USER, bcrypt.hashSync(PASSWORD, 10)));
  const [direct, plain, front] = [await freePort(), await freePort(), await freePort()];
  const a = prometheus(join(work, 'direct'), `:${direct}`, [`--web.config.file=${layout.webConfig}`]);
  const b = prometheus(join(work, 'behind'), `127.0.0.1:${plain}`, []);
  mkdirSync(join(work, 'nginx'), { recursive: true });
  const ng = nginx(join(work, 'nginx'), front, plain, layout.cert, layout.key);
  await ready(direct, ca.certPem);
  await ready(front, ca.certPem);
  await new Promise((r) => setTimeout(r, 3000)); // a few scrapes, so federate has series
  const fed = `/monitoring/federate?match[]=${encodeURIComponent('{job="prometheus"}')}`;
  const rows: string[] = [];
  for (const [label, port] of [
    ['Prometheus on 8009 (web config)', direct],
    ['nginx on 8009 -> Prometheus 127.0.0.1', front],
  ] as const) {
    const h = await perRequest(port, '/monitoring/-/healthy', ca.certPem, true, N);
    const f = await perRequest(port, fed, ca.certPem, true, Math.ceil(N / 3));
    const c = await perRequest(port, '/monitoring/-/healthy', ca.certPem, false, Math.ceil(N / 6));
    rows.push(`| ${label} | ${h.toFixed(2)} ms | ${f.toFixed(2)} ms | ${c.toFixed(2)} ms |`);
  }
  console.log('| path | healthy, kept-alive | federate, kept-alive | healthy, new TLS connection |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(r);
  console.log(
    `RSS: Prometheus serving TLS itself ${rssMb(a.pid!)} MB; Prometheus behind nginx ${rssMb(b.pid!)} MB + nginx (master and workers) ${rssMb(ng.pid!)} MB. Load average ${loadavg()[0]!.toFixed(1)}, ${N} requests.`,
  );
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const p of procs) p.kill('SIGTERM');
    if (!process.env.KEEP) setTimeout(() => rmSync(work, { recursive: true, force: true }), 500);
  });
