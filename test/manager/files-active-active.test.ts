// Two active/active managers on one PostgreSQL, each with its own data directory and in-process worker
// (cfy_manager.md §6.7): a blueprint uploaded through one is downloaded, served and run through the
// other, and a re-upload under the same id after a delete is what both serve, never a stale copy.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions } from 'fastify';
import { create as tarCreate } from 'tar';
import { createManager, type Manager } from '../../src/entry/manager.js';
import { defaultConfig } from '../../src/manager/config.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { ADMIN_PASSWORD, adminAuth } from '../helpers/manager.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { API, blueprintDir, type Caller, createDeployment, runWorkflow, until } from '../worker/helpers.js';

const BP_YAML = `tosca_definitions_version: cloudify_dsl_1_3
imports:
  - http://www.getcloudify.org/spec/cloudify/5.1/types.yaml
inputs:
  out_dir: {type: string}
node_templates:
  n:
    type: cloudify.nodes.Root
    interfaces:
      cloudify.interfaces.lifecycle:
        create:
          implementation: scripts/create.sh
          inputs: {OUT_DIR: {get_input: out_dir}}
`;

/** Version `v` of the blueprint: its script and its resource both say which version they are. */
const files = (v: string) => ({
  'blueprint.yaml': BP_YAML,
  'scripts/create.sh': `#!/bin/bash\nset -e\ncp "$(ctx download-resource resources/data.txt)" "$OUT_DIR/data.txt"\necho "script ${v}" > "$OUT_DIR/script.txt"\n`,
  'resources/data.txt': `data ${v}\n`,
});

async function archiveOf(f: Record<string, string>): Promise<Buffer> {
  const { parent } = blueprintDir(f);
  try {
    await tarCreate({ gzip: true, file: join(parent, 'bp.tar.gz'), cwd: parent, portable: true }, ['bp']);
    return readFileSync(join(parent, 'bp.tar.gz'));
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
}

interface Node {
  m: Manager;
  dataDir: string;
  c: Caller & { raw(url: string): Promise<{ statusCode: number; rawPayload: Buffer; body: string }> };
}

describe('blueprint files on two active/active managers [server]', () => {
  let pg: TestPostgres;
  let scratch: string;
  const nodes: Node[] = [];

  before(async () => {
    pg = await startPostgres();
    const admin = await openServer(parseDbUrl(pg.url));
    await admin.exec('CREATE DATABASE stratus_aa');
    await admin.close();
    scratch = mkdtempSync(join(tmpdir(), 'stratus-aa-'));
    for (const [i, name] of ['manager1', 'manager2'].entries()) {
      const dataDir = join(scratch, name);
      const config = defaultConfig({
        dataDir,
        adminPassword: ADMIN_PASSWORD,
        dbUrl: pg.url.replace(/\/postgres$/, '/stratus_aa'),
        hostname: name,
        privateIp: `127.0.0.${i + 1}`,
        secretsKey: Buffer.alloc(32, 7).toString('base64'),
      });
      // Each opens its own connection pool; no amqpUrl: each runs its own worker on its own bus.
      const m = await createManager(config);
      const inject = (o: InjectOptions) =>
        m.app.inject({ ...o, headers: { authorization: adminAuth, tenant: 'default_tenant', ...o.headers } });
      nodes.push({
        m,
        dataDir,
        c: {
          call: (o) => inject(o as InjectOptions) as never,
          raw: (url) => inject({ method: 'GET', url }) as never,
        },
      });
    }
  });
  after(async () => {
    for (const n of nodes) await n.m.close().catch(() => {});
    await pg?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  const upload = async (n: Node, archive: Buffer) => {
    const r = await n.c.call({
      method: 'PUT',
      url: `${API}/blueprints/aa?application_file_name=blueprint.yaml`,
      payload: archive,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(r.statusCode, 201, r.body);
  };
  const served = async (n: Node, path: string) => {
    const r = await n.c.raw(`/resources/${path}`);
    assert.equal(r.statusCode, 200, `${path}: ${r.body}`);
    return r.rawPayload;
  };
  /** Installs a new deployment of `aa` through manager `n`; returns what its script wrote. */
  const install = async (n: Node, dep: string) => {
    const out = join(scratch, dep);
    mkdirSync(out);
    await createDeployment(n.c, dep, 'aa', { out_dir: out });
    const e = await runWorkflow(n.c, dep, 'install', {}, 60_000);
    assert.equal(e.status, 'terminated', e.error);
    return {
      data: readFileSync(join(out, 'data.txt'), 'utf8'),
      script: readFileSync(join(out, 'script.txt'), 'utf8'),
    };
  };
  const cached = (n: Node) => readdirSync(join(n.m.ctx.resourcesDir, '.cache', 'blueprints')).sort();

  test('uploaded through manager1: downloaded, served and installed through manager2', async () => {
    const [m1, m2] = nodes;
    const archive = await archiveOf(files('v1'));
    await upload(m1, archive);
    const dl = await m2.c.raw(`${API}/blueprints/aa/archive`);
    assert.equal(dl.statusCode, 200, dl.body);
    assert.ok(dl.rawPayload.equals(archive), 'the archive downloaded through manager2 differs');
    assert.ok((await served(m2, 'uploaded-blueprints/default_tenant/aa/aa.tar.gz')).equals(archive));
    assert.equal(String(await served(m2, 'blueprints/default_tenant/aa/resources/data.txt')), 'data v1\n');
    assert.deepEqual(JSON.parse(String(await served(m2, 'blueprints/default_tenant/aa/'))), [
      'blueprint.yaml',
      'resources/',
      'scripts/',
    ]);
    // Nothing of it is in manager2's own resources directory but its cache.
    assert.deepEqual(
      readdirSync(m2.m.ctx.resourcesDir).filter((n) => !n.startsWith('.')),
      [],
    );

    assert.deepEqual(await install(m2, 'd1'), { data: 'data v1\n', script: 'script v1\n' });
  });

  test('deleted and uploaded again under the same id: the new content everywhere', async () => {
    const [m1, m2] = nodes;
    const stale = cached(m2);
    assert.ok(
      stale.some((n) => n.endsWith('.folder')),
      `manager2 has no local copy: ${stale}`,
    );
    for (const step of [
      () => runWorkflow(m2.c, 'd1', 'uninstall', {}, 60_000),
      () => m2.c.call({ method: 'DELETE', url: `${API}/deployments/d1` }),
    ]) {
      await step();
    }
    await until(
      async () => (await m2.c.call({ method: 'GET', url: `${API}/deployments/d1` })).statusCode,
      (s) => s === 404,
      30_000,
      'deployment d1 deleted',
    );
    const del = await m1.c.call({ method: 'DELETE', url: `${API}/blueprints/aa` });
    assert.equal(del.statusCode, 204, del.body);
    const archive = await archiveOf(files('v2'));
    await upload(m1, archive);

    for (const n of [m2, m1]) {
      const dl = await n.c.raw(`${API}/blueprints/aa/archive`);
      assert.ok(dl.rawPayload.equals(archive), 'a stale archive was served');
      assert.equal(String(await served(n, 'blueprints/default_tenant/aa/resources/data.txt')), 'data v2\n');
    }
    assert.deepEqual(await install(m2, 'd2'), { data: 'data v2\n', script: 'script v2\n' });
    // manager2's copy of the deleted upload is swept once it wrote the new one.
    await until(
      async () => cached(m2),
      (names) => !names.some((n) => stale.includes(n)),
      10_000,
      "manager2's stale copies swept",
    );
  });
});
