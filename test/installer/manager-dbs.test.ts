// `cfy_manager dbs add / remove` on a manager (cfy_manager.md §4.7), up to the point where the host
// changes: the DB host list read from and written to the env files' STRATUS_DB_URL, and the refusals,
// against real HTTPS listeners on loopback that demand a client certificate as Patroni does on 8008
// (an address already listed, a node whose Patroni does not answer or answers nothing, an unknown
// address, the leader, the last node). A refusal leaves both env files as they were.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { generateCa, generateLeaf } from '../../src/installer/certs/x509.js';
import {
  addDbNode,
  currentDbHosts,
  type DbsSite,
  dbUrlHosts,
  parseEnvFile,
  removeDbNode,
  withDbUrlHosts,
} from '../../src/installer/components/manager/dbs.js';
import { envFileText } from '../../src/installer/components/manager/render.js';
import { deriveConfig } from '../../src/installer/config/derive.js';
import { deepMerge, finishConfig, packagedDefaults } from '../../src/installer/config/load.js';
import type { Config } from '../../src/installer/config/schema.js';
import { Logger, setupLogging } from '../../src/installer/log.js';
import { managerDoc } from './manager-guide.js';

const work = mkdtempSync(join(tmpdir(), 'stratus-manager-dbs-'));
const log = new Logger('test');
const URL = "postgres://cloudify:p%40ss'w@10.9.0.11:5432,[fd00::12]:5432/cloudify_db?sslmode=verify-full";
let config: Config;
let site: DbsSite;
let noCert: DbsSite;
const servers: Server[] = [];

before(async () => {
  setupLogging({ file: false, console: false });
  config = deriveConfig(
    finishConfig(
      deepMerge(
        packagedDefaults(),
        managerDoc({
          self: '10.9.0.31',
          home: work,
          dbs: [{ name: 'db1', ip: '10.9.0.11' }],
          brokers: [{ name: 'rabbit1', ip: '10.9.0.21' }],
          loadBalancer: '10.9.0.40',
        }),
      ),
      ['/etc/cloudify/config.yaml'],
    ),
  );
  const ca = await generateCa();
  const server = await generateLeaf('127.0.0.1', ['127.0.0.1'], ca);
  const client = await generateLeaf('manager1', ['127.0.0.1'], ca);
  const f = (name: string, text: string) => {
    writeFileSync(join(work, name), text, { mode: 0o600 });
    return join(work, name);
  };
  const tls = {
    ca: f('ca.crt', ca.certPem),
    cert: f('c.crt', client.certPem),
    key: f('c.key', client.keyPem),
  };
  f('s.crt', server.certPem);
  f('s.key', server.keyPem);
  site = { envFiles: [join(work, 'rest.env'), join(work, 'worker.env')], tls, patroniPort: 0 };
  noCert = { ...site, tls: { ca: tls.ca } };
});
after(async () => {
  for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
  rmSync(work, { recursive: true, force: true });
});

/** A Patroni-like REST API on loopback: client certificate required, this status and body on GET /. */
async function patroni(status: number, body: string): Promise<number> {
  const read = (n: string) => readFileSync(join(work, n));
  const s = createServer(
    {
      cert: read('s.crt'),
      key: read('s.key'),
      ca: read('ca.crt'),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    },
  );
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return (s.address() as AddressInfo).port;
}

function writeEnv(url: string): string[] {
  const texts = [
    envFileText({ STRATUS_DB_URL: url, STRATUS_HOSTNAME: 'manager1' }),
    envFileText({ STRATUS_DB_URL: url, STRATUS_DATA_DIR: '/opt/manager' }),
  ];
  for (const [i, p] of site.envFiles.entries()) writeFileSync(p, texts[i]!, { mode: 0o600 });
  return texts;
}

const envTexts = () => site.envFiles.map((p) => readFileSync(p, 'utf8'));

async function refused(fn: () => Promise<void>, text: string | RegExp): Promise<void> {
  const before = envTexts();
  await assert.rejects(fn, (err: Error) => {
    if (typeof text === 'string') assert.equal(err.message, text);
    else assert.match(err.message, text);
    return true;
  });
  assert.deepEqual(envTexts(), before, 'a refusal leaves the env files as they were');
}

describe('the DB host list in the env files', () => {
  test('hosts come out of the URL without ports or brackets; a new list keeps user, password and query', () => {
    assert.deepEqual(dbUrlHosts(URL), ['10.9.0.11', 'fd00::12']);
    const next = withDbUrlHosts(URL, ['10.9.0.11', 'fd00::12', '10.9.0.13']);
    assert.equal(
      next,
      "postgres://cloudify:p%40ss'w@10.9.0.11:5432,[fd00::12]:5432,10.9.0.13:5432/cloudify_db?sslmode=verify-full",
    );
    assert.deepEqual(dbUrlHosts(withDbUrlHosts(next, ['10.9.0.13'])), ['10.9.0.13']);
    assert.throws(() => dbUrlHosts('amqps://x@h/'), /is not a postgres:\/\/ URL/);
  });

  test('an env file reads back what envFileText wrote, both quoting styles', () => {
    const vars = { STRATUS_DB_URL: URL, STRATUS_X: 'plain', STRATUS_Y: '' };
    assert.deepEqual(parseEnvFile(envFileText(vars)), vars);
    writeEnv(URL);
    assert.deepEqual(currentDbHosts(site), { url: URL, hosts: ['10.9.0.11', 'fd00::12'] });
  });
});

describe('dbs add / remove on a manager: refusals before anything changes', () => {
  test('add: an address already listed is refused', async () => {
    writeEnv(URL);
    await refused(
      () => addDbNode(config, '10.9.0.11', log, site),
      '10.9.0.11 is already a DB node of this manager.',
    );
  });

  test('add: no Patroni answer, an empty answer, or an answer only without our client certificate', async () => {
    writeEnv(URL);
    const closed = await patroni(200, '{}');
    await new Promise<void>((r) => servers.pop()!.close(() => r()));
    const notOperational = (port: number) =>
      `DB cluster node 127.0.0.1 does not appear to be operational: Patroni did not answer on https://127.0.0.1:${port}. Install the DB node first, then retry.`;
    await refused(
      () => addDbNode(config, '127.0.0.1', log, { ...site, patroniPort: closed }),
      notOperational(closed),
    );
    const empty = await patroni(200, '');
    await refused(
      () => addDbNode(config, '127.0.0.1', log, { ...site, patroniPort: empty }),
      notOperational(empty),
    );
    const running = await patroni(200, '{"state":"running","role":"replica"}');
    await refused(
      () => addDbNode(config, '127.0.0.1', log, { ...noCert, patroniPort: running }),
      notOperational(running),
    );
  });

  test('remove: an unknown address is refused with the list of this manager', async () => {
    writeEnv(URL);
    await refused(
      () => removeDbNode(config, '10.9.0.99', log, site),
      '10.9.0.99 is not a DB node of this manager (its DB nodes: 10.9.0.11, fd00::12).',
    );
  });

  test('remove: the leader is refused; so is the last node', async () => {
    const leader = await patroni(200, '{"state":"running","role":"master"}');
    writeEnv(withDbUrlHosts(URL, ['10.9.0.11', '127.0.0.1']));
    await refused(
      () => removeDbNode(config, '127.0.0.1', log, { ...site, patroniPort: leader }),
      '127.0.0.1 is the master. Please set the master to a different node before retrying this command.',
    );
    const replica = await patroni(503, '{"state":"running","role":"replica"}');
    writeEnv(withDbUrlHosts(URL, ['127.0.0.1']));
    await refused(
      () => removeDbNode(config, '127.0.0.1', log, { ...site, patroniPort: replica }),
      /^The last DB node cannot be removed\./,
    );
  });
});
