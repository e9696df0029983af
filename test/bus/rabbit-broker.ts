// A throwaway RabbitMQ broker for tests: installs Debian's rabbitmq-server when root and missing,
// then starts one node as a child process on free loopback ports, with its own epmd (on its own port)
// and all state in a temp dir. stop() kills exactly the processes it started, by PID, and removes the dir.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/postgres.js';

const SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server';

export interface TestBroker {
  url: string;
  port: number;
  /** amqps:// URL and the CA (PEM file) that signed the broker's certificate, with `tls: true`. */
  tlsUrl?: string;
  /** The same TLS listener on 127.0.0.2, an address the certificate does not name. */
  tlsUnnamedUrl?: string;
  caFile?: string;
  stop(): Promise<void>;
}

/** A throwaway CA and a server certificate for 127.0.0.1/localhost, made with openssl. */
export function makeCerts(dir: string): { ca: string; cert: string; key: string } {
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  };
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=stratus-test-ca',
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  ]);
  run([
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  ]);
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') };
}

/** Why RabbitMQ tests cannot run here, or undefined when they can (installing it if root). */
export function brokerUnavailable(): string | undefined {
  if (existsSync(SERVER)) return undefined;
  if (process.getuid?.() !== 0) return 'rabbitmq-server is not installed and this is not root';
  const r = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'rabbitmq-server'], {
    stdio: 'ignore',
    timeout: 300_000,
  });
  return r.status === 0 && existsSync(SERVER) ? undefined : 'apt-get install rabbitmq-server failed';
}

const tcpOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });

export async function startBroker(opts: { tls?: boolean } = {}, timeoutMs = 120_000): Promise<TestBroker> {
  const dir = mkdtempSync(join(tmpdir(), 'stratus-rmq-'));
  const [port, dist, epmdPort] = [await freePort(), await freePort(), await freePort()];
  const node = `stratus${process.pid}x${port}@localhost`;
  mkdirSync(join(dir, 'mnesia'));
  mkdirSync(join(dir, 'log'));
  const conf = [`listeners.tcp.default = 127.0.0.1:${port}`, 'loopback_users = none', 'log.console = false'];
  let tlsPort: number | undefined;
  let certs: ReturnType<typeof makeCerts> | undefined;
  if (opts.tls) {
    tlsPort = await freePort();
    certs = makeCerts(dir);
    conf.push(
      `listeners.ssl.default = 127.0.0.1:${tlsPort}`,
      `listeners.ssl.unnamed = 127.0.0.2:${tlsPort}`,
      `ssl_options.cacertfile = ${certs.ca}`,
      `ssl_options.certfile = ${certs.cert}`,
      `ssl_options.keyfile = ${certs.key}`,
      'ssl_options.verify = verify_none',
      'ssl_options.fail_if_no_peer_cert = false',
    );
  }
  writeFileSync(join(dir, 'rabbitmq.conf'), `${conf.join('\n')}\n`);
  writeFileSync(join(dir, 'enabled_plugins'), '[].\n');
  writeFileSync(join(dir, 'rabbitmq-env.conf'), '');
  writeFileSync(join(dir, '.erlang.cookie'), `STRATUSTEST${port}${Date.now()}`);
  chmodSync(join(dir, '.erlang.cookie'), 0o400);
  const env = {
    ...process.env,
    HOME: dir,
    ERL_EPMD_PORT: String(epmdPort),
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(dist),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_PID_FILE: join(dir, 'rabbit.pid'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
  };
  // our own epmd, so that nothing outlives the test and nothing shared is touched
  const epmd: ChildProcess = spawn('epmd', ['-port', String(epmdPort), '-address', '127.0.0.1'], {
    env,
    stdio: 'ignore',
  });
  const server: ChildProcess = spawn(SERVER, [], { env, cwd: dir, stdio: 'ignore', detached: true });
  const stop = async () => {
    for (const p of [server, epmd]) {
      if (!p.pid || p.exitCode !== null || p.signalCode !== null) continue;
      const gone = new Promise((r) => p.once('exit', r));
      try {
        // the broker's group: the sh wrapper, beam.smp and its port programs
        process.kill(p === server ? -p.pid : p.pid, 'SIGKILL');
      } catch {}
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  while (!(await tcpOpen(port))) {
    if (server.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`RabbitMQ did not start on port ${port} (exit ${server.exitCode})`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  if (tlsPort) {
    while (!(await tcpOpen(tlsPort))) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`RabbitMQ TLS listener did not open on port ${tlsPort}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    port,
    ...(tlsPort
      ? {
          tlsUrl: `amqps://guest:guest@localhost:${tlsPort}`,
          tlsUnnamedUrl: `amqps://guest:guest@127.0.0.2:${tlsPort}`,
          caFile: certs!.ca,
        }
      : {}),
    stop,
  };
}
