import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { create as tarCreate } from 'tar';
import { checkBlueprintId } from '../../src/manager/routes/blueprints.js';
import { forEachDriver } from '../helpers/drivers.js';
import { adminAuth, basic, startTestManager, type TestManager } from '../helpers/manager.js';

const BP_YAML =
  'tosca_definitions_version: cloudify_dsl_1_3\ndescription: a test blueprint\nnode_templates: {}\n';
const hasBzip2 = spawnSync('bzip2', ['--help']).status === 0;
const hasZip = spawnSync('zip', ['-v']).status === 0;

const scratch = mkdtempSync(join(tmpdir(), 'stratus-bp-test-'));
let scratchN = 0;

/** A blueprint directory: files relative to it; the dir is named `name` (the top-level dir). */
function bpDir(name = 'bp', files: Record<string, string> = { 'blueprint.yaml': BP_YAML }): string {
  const parent = join(scratch, `d${++scratchN}`);
  const dir = join(parent, name);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), content);
  }
  return parent;
}

/** A .tar.gz of the blueprint directory with a single top-level dir, as the Python client makes it. */
async function tarGz(parent: string, name = 'bp', gzip = true): Promise<Buffer> {
  const out = join(scratch, `a${++scratchN}.tar${gzip ? '.gz' : ''}`);
  await tarCreate({ gzip, file: out, cwd: parent, portable: true }, [name]);
  return readFileSync(out);
}

/** A tar built header by header, to make archives no well-behaved tool would. */
function rawTar(
  entries: { name: string; type?: '0' | '1' | '2' | '5'; body?: string; link?: string }[],
): Buffer {
  const blocks: Buffer[] = [];
  for (const e of entries) {
    const body = Buffer.from(e.body ?? '');
    const h = Buffer.alloc(512);
    h.write(e.name, 0, 100, 'utf8');
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(`${body.length.toString(8).padStart(11, '0')}\0`, 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write(e.type ?? '0', 156);
    if (e.link) h.write(e.link, 157, 100, 'utf8');
    h.write('ustar\0', 257);
    h.write('00', 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
    blocks.push(h, body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

/** The multipart body the Python client sends: `params` JSON, then `blueprint_archive`. */
function multipart(
  params: Record<string, unknown>,
  archive: Buffer,
): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----stratus${Date.now()}`;
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="params"\r\n\r\n${JSON.stringify(params)}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="blueprint_archive"; filename="filename"\r\nContent-Type: text/plain\r\n\r\n`,
    ),
    archive,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

const clientParams = {
  visibility: 'tenant',
  async_upload: false,
  skip_execution: false,
  application_file_name: 'blueprint.yaml',
};

after(() => rmSync(scratch, { recursive: true, force: true }));

forEachDriver('blueprints', (fx) => {
  let m: TestManager;
  let server: Server;
  let baseUrl: string;
  const served = new Map<string, Buffer>();
  let resources: string;

  before(async () => {
    m = await startTestManager(fx, { blueprintMaxSizeMb: 1, blueprintMaxFiles: 20 });
    resources = m.ctx.resourcesDir;
    server = createServer((req, res) => {
      const body = served.get(req.url ?? '');
      if (!body) {
        res.statusCode = 404;
        res.end('nope');
        return;
      }
      res.setHeader('content-type', 'application/gzip');
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise<void>((r) => server?.close(() => r()));
    await m?.close();
  });

  const put = (
    id: string,
    opts: { payload?: Buffer | string; headers?: Record<string, string>; query?: string } = {},
  ) =>
    m.call({
      method: 'PUT',
      url: `/api/v3.1/blueprints/${id}${opts.query ? `?${opts.query}` : ''}`,
      payload: opts.payload,
      headers: opts.headers,
    });
  const get = (id: string) => m.call({ method: 'GET', url: `/api/v3.1/blueprints/${id}` });
  /** A file-server path's bytes, or undefined when it answers 404. */
  const fromFileServer = async (path: string): Promise<Buffer | undefined> => {
    const r = await m.call({ method: 'GET', url: `/resources/${path}` });
    if (r.statusCode === 404) return undefined;
    assert.equal(r.statusCode, 200, r.body);
    return r.rawPayload;
  };
  /** How many file entries the database holds for blueprint `id` (any tenant). */
  const storedEntries = async (id: string): Promise<number> => {
    const [row] = await m.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM blueprint_entries e JOIN blueprints b ON b._storage_id = e._blueprint_fk
       WHERE b.id = $1`,
      [id],
    );
    return row.n;
  };
  const noLeftovers = () => {
    const tmp = join(resources, '.upload-tmp');
    assert.deepEqual(existsSync(tmp) ? readdirSync(tmp) : [], []);
  };
  const expectFailure = async (
    id: string,
    r: Awaited<ReturnType<typeof put>>,
    status: number,
    code: string,
    message: RegExp,
    state?: string,
  ) => {
    assert.equal(r.statusCode, status, r.body);
    assert.equal(r.json().error_code, code);
    assert.match(r.json().message, message);
    noLeftovers();
    assert.equal(await fromFileServer(`blueprints/default_tenant/${id}/`), undefined);
    assert.equal(await fromFileServer(`uploaded-blueprints/default_tenant/${id}/`), undefined);
    assert.equal(await storedEntries(id), 0);
    const g = await get(id);
    if (state) assert.equal(g.json().state, state);
    else assert.equal(g.statusCode, 404);
  };

  test('multipart upload exactly as the Python client sends it; get, list, download, delete', async () => {
    const archive = await tarGz(bpDir('bp', { 'blueprint.yaml': BP_YAML, 'scripts/a.sh': 'echo a\n' }));
    const r = await put('bp1', multipart({ ...clientParams, labels: [{ env: 'prod' }] }, archive));
    assert.equal(r.statusCode, 201, r.body);
    const bp = r.json();
    assert.equal(bp.id, 'bp1');
    assert.equal(bp.state, 'uploaded');
    assert.equal(bp.main_file_name, 'blueprint.yaml');
    assert.equal(bp.visibility, 'tenant');
    assert.equal(bp.tenant_name, 'default_tenant');
    assert.equal(bp.created_by, 'admin');
    // With the DSL parser wired (ctx.parseBlueprint) the plan is stored; without it, only the archive.
    if (m.ctx.parseBlueprint) assert.equal(bp.description, 'a test blueprint');
    else assert.equal(bp.plan, null);
    assert.match(bp.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(
      bp.labels.map((l: { key: string; value: string }) => [l.key, l.value]),
      [['env', 'prod']],
    );
    const dir = 'blueprints/default_tenant/bp1';
    assert.equal(String(await fromFileServer(`${dir}/blueprint.yaml`)), BP_YAML);
    assert.equal(String(await fromFileServer(`${dir}/scripts/a.sh`)), 'echo a\n');
    assert.deepEqual(await fromFileServer('uploaded-blueprints/default_tenant/bp1/bp1.tar.gz'), archive);
    noLeftovers();

    const g = await get('bp1');
    assert.equal(g.statusCode, 200);
    assert.equal(g.json().state, 'uploaded');
    const inc = await m.call({ method: 'GET', url: '/api/v3.1/blueprints/bp1?_include=id,state' });
    assert.deepEqual(inc.json(), { id: 'bp1', state: 'uploaded' });
    const list = await m.call({ method: 'GET', url: '/api/v3.1/blueprints?state=uploaded&_sort=-id' });
    assert.equal(list.statusCode, 200);
    assert.ok(list.json().items.some((b: { id: string }) => b.id === 'bp1'));
    assert.equal(list.json().metadata.pagination.offset, 0);
    const badSort = await m.call({ method: 'GET', url: '/api/v3.1/blueprints?_sort=nope' });
    assert.equal(badSort.statusCode, 400);

    const dl = await m.call({ method: 'GET', url: '/api/v3.1/blueprints/bp1/archive' });
    assert.equal(dl.statusCode, 200);
    assert.deepEqual(dl.rawPayload, archive);
    assert.match(String(dl.headers['content-disposition']), /bp1\.tar\.gz/);
    // The 5.1 CLI's download needs the size up front.
    assert.equal(Number(dl.headers['content-length']), archive.length);

    const dup = await put('bp1', multipart(clientParams, archive));
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().error_code, 'conflict_error');

    const del = await m.call({ method: 'DELETE', url: '/api/v3.1/blueprints/bp1?force=False' });
    assert.equal(del.statusCode, 204);
    assert.equal((await get('bp1')).statusCode, 404);
    assert.equal(await fromFileServer(`${dir}/blueprint.yaml`), undefined);
    assert.equal(await fromFileServer('uploaded-blueprints/default_tenant/bp1/bp1.tar.gz'), undefined);
    assert.equal(await storedEntries('bp1'), 0);
    const again = await m.call({ method: 'DELETE', url: '/api/v3.1/blueprints/bp1' });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().error_code, 'not_found_error');
  });

  test('raw body with query arguments (tar.gz, plain tar), as the 5.1 client streams it', async () => {
    const archive = await tarGz(bpDir('my-bp', { 'main.yaml': BP_YAML }), 'my-bp');
    const r = await put('raw1', {
      payload: archive,
      headers: { 'content-type': 'application/json' },
      query: 'application_file_name=main.yaml&visibility=private&labels=a=b,c=d',
    });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().main_file_name, 'main.yaml');
    assert.equal(r.json().visibility, 'private');
    assert.equal(r.json().labels.length, 2);
    assert.equal(String(await fromFileServer('blueprints/default_tenant/raw1/main.yaml')), BP_YAML);

    const plain = await tarGz(bpDir(), 'bp', false);
    const t = await put('raw2', { payload: plain, headers: { 'content-type': 'application/octet-stream' } });
    assert.equal(t.statusCode, 201, t.body);
    assert.deepEqual(await fromFileServer('uploaded-blueprints/default_tenant/raw2/raw2.tar'), plain);
  });

  test('over a real socket: chunked raw body (5.1 client) and multipart FormData', async () => {
    const address = await m.app.listen({ port: 0, host: '127.0.0.1' });
    const archive = await tarGz(bpDir());
    const headers = {
      authorization: adminAuth,
      tenant: 'default_tenant',
      'content-type': 'application/json',
    };
    const chunks = [archive.subarray(0, 100), archive.subarray(100)];
    const chunked = await fetch(`${address}/api/v3.1/blueprints/sock1?application_file_name=blueprint.yaml`, {
      method: 'PUT',
      headers,
      body: new ReadableStream({
        pull(c) {
          const next = chunks.shift();
          if (next) c.enqueue(next);
          else c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    assert.equal(chunked.status, 201, await chunked.clone().text());
    assert.equal((await chunked.json()).state, 'uploaded');
    const form = new FormData();
    form.append('params', JSON.stringify(clientParams));
    form.append('blueprint_archive', new Blob([new Uint8Array(archive)], { type: 'text/plain' }), 'filename');
    const mp = await fetch(`${address}/api/v3.1/blueprints/sock2`, {
      method: 'PUT',
      headers: { authorization: adminAuth, tenant: 'default_tenant' },
      body: form,
    });
    assert.equal(mp.status, 201, await mp.clone().text());
    const big = await fetch(`${address}/api/v3.1/blueprints/sock3`, {
      method: 'PUT',
      headers,
      body: Buffer.alloc(2 * 1024 * 1024, 'q'),
    });
    assert.equal(big.status, 413);
    assert.equal((await big.json()).error_code, 'payload_too_large_error');
  });

  test('zip archive', { skip: !hasZip && 'no zip CLI on this machine' }, async () => {
    const parent = bpDir('zbp', { 'blueprint.yaml': BP_YAML, 'inc/x.yaml': 'a: 1\n' });
    const out = join(scratch, 'z.zip');
    assert.equal(spawnSync('zip', ['-q', '-r', out, 'zbp'], { cwd: parent }).status, 0);
    const r = await put('zip1', {
      payload: readFileSync(out),
      headers: { 'content-type': 'application/zip' },
    });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(String(await fromFileServer('blueprints/default_tenant/zip1/inc/x.yaml')), 'a: 1\n');
    assert.deepEqual(
      await fromFileServer('uploaded-blueprints/default_tenant/zip1/zip1.zip'),
      readFileSync(out),
    );
  });

  test('tar.bz2 archive', { skip: !hasBzip2 && 'no bzip2 CLI on this machine' }, async () => {
    const tarBuf = await tarGz(bpDir(), 'bp', false);
    const bz = spawnSync('bzip2', ['-c'], { input: tarBuf });
    assert.equal(bz.status, 0);
    const r = await put('bz1', multipart(clientParams, bz.stdout));
    assert.equal(r.statusCode, 201, r.body);
    assert.ok(await fromFileServer('blueprints/default_tenant/bz1/blueprint.yaml'));
    assert.deepEqual(await fromFileServer('uploaded-blueprints/default_tenant/bz1/bz1.tar.bz2'), bz.stdout);
  });

  test('plain YAML file; stored packed as a tar.gz', async () => {
    const r = await put('yaml1', { payload: BP_YAML, headers: { 'content-type': 'text/plain' } });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().main_file_name, 'blueprint.yaml');
    assert.equal(String(await fromFileServer('blueprints/default_tenant/yaml1/blueprint.yaml')), BP_YAML);
    const dl = await m.call({ method: 'GET', url: '/api/v3.1/blueprints/yaml1/archive' });
    assert.equal(dl.statusCode, 200);
    assert.equal(dl.rawPayload[0], 0x1f);
    const named = await put('yaml2', { payload: BP_YAML, query: 'application_file_name=other.yaml' });
    assert.equal(named.statusCode, 201, named.body);
    assert.equal(named.json().main_file_name, 'other.yaml');
  });

  test('blueprint_archive_url, fetched from a local server; URL plus a body is 400; a dead URL fails uploading', async () => {
    served.set('/bp.tar.gz', await tarGz(bpDir()));
    const r = await put('url1', {
      headers: { 'content-type': 'application/json' },
      query: `blueprint_archive_url=${encodeURIComponent(`${baseUrl}/bp.tar.gz`)}`,
    });
    assert.equal(r.statusCode, 201, r.body);
    assert.equal(r.json().state, 'uploaded');
    const both = await put('url2', {
      payload: await tarGz(bpDir()),
      query: `blueprint_archive_url=${encodeURIComponent(`${baseUrl}/bp.tar.gz`)}`,
    });
    assert.equal(both.statusCode, 400);
    assert.equal(both.json().error_code, 'bad_parameters_error');
    assert.equal((await get('url2')).statusCode, 404);
    const dead = await put('url3', {
      query: `blueprint_archive_url=${encodeURIComponent(`${baseUrl}/missing`)}`,
    });
    await expectFailure(
      'url3',
      dead,
      400,
      'invalid_blueprint_error',
      /Blueprint `url3` has failed uploading\. Error: .*HTTP 404/,
      'failed_uploading',
    );
  });

  test('async_upload answers at once and the state machine ends in uploaded', async () => {
    const r = await put('async1', multipart({ ...clientParams, async_upload: true }, await tarGz(bpDir())));
    assert.equal(r.statusCode, 201, r.body);
    assert.ok(['uploading', 'extracting', 'parsing', 'uploaded'].includes(r.json().state));
    let state = '';
    for (let i = 0; i < 100 && state !== 'uploaded'; i++) {
      state = (await get('async1')).json().state;
      if (state !== 'uploaded') await new Promise((res) => setTimeout(res, 20));
    }
    assert.equal(state, 'uploaded');
    const bad = await put(
      'async2',
      multipart({ ...clientParams, async_upload: true }, Buffer.from('\x1f\x8bgarbage')),
    );
    assert.equal(bad.statusCode, 201);
    for (let i = 0; i < 100 && state !== 'failed_extracting'; i++) {
      state = (await get('async2')).json().state;
      if (state !== 'failed_extracting') await new Promise((res) => setTimeout(res, 20));
    }
    assert.equal(state, 'failed_extracting');
  });

  test('the parser: plan and description stored; a parse error is failed_parsing and 400; a failed one is replaced', async () => {
    const wired = m.ctx.parseBlueprint;
    m.ctx.parseBlueprint = async (dir, main) => {
      const text = readFileSync(join(dir, main), 'utf8');
      if (text.includes('broken'))
        throw Object.assign(new Error('node type `x` is not defined'), { code: 14 });
      return { description: 'parsed!', nodes: [] };
    };
    try {
      const ok = await put('p1', multipart(clientParams, await tarGz(bpDir())));
      assert.equal(ok.statusCode, 201, ok.body);
      assert.deepEqual(ok.json().plan, { description: 'parsed!', nodes: [] });
      assert.equal(ok.json().description, 'parsed!');
      const bad = await put(
        'p2',
        multipart(clientParams, await tarGz(bpDir('bp', { 'blueprint.yaml': 'broken: yes\n' }))),
      );
      await expectFailure(
        'p2',
        bad,
        400,
        'invalid_blueprint_error',
        /^Blueprint `p2` has failed parsing\. Error: node type `x` is not defined/,
        'failed_parsing',
      );
      assert.match((await get('p2')).json().error, /not defined/);
      const v = await m.call({
        method: 'PUT',
        url: '/api/v3.1/blueprints/p3/validate',
        ...multipart(clientParams, await tarGz(bpDir('bp', { 'blueprint.yaml': 'broken: yes\n' }))),
      });
      assert.equal(v.statusCode, 400);
      assert.match(v.json().message, /^Blueprint `p3` is invalid\. Error:/);
      assert.equal((await get('p3')).statusCode, 404);
      const vok = await m.call({
        method: 'PUT',
        url: '/api/v3.1/blueprints/p3/validate',
        ...multipart(clientParams, await tarGz(bpDir())),
      });
      assert.equal(vok.statusCode, 204, vok.body);
      assert.equal((await get('p3')).statusCode, 404);
      noLeftovers();
      const fixed = await put('p2', multipart(clientParams, await tarGz(bpDir())));
      assert.equal(fixed.statusCode, 201, fixed.body);
      assert.equal(fixed.json().state, 'uploaded');
      assert.equal(fixed.json().error, null);
    } finally {
      m.ctx.parseBlueprint = wired;
    }
  });

  test('corrupt archives are 400 and leave nothing behind', async () => {
    const good = await tarGz(bpDir());
    const truncated = good.subarray(0, Math.floor(good.length / 2));
    await expectFailure(
      'c1',
      await put('c1', multipart(clientParams, truncated)),
      400,
      'invalid_blueprint_error',
      /failed extracting/,
      'failed_extracting',
    );
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919) % 251;
    await expectFailure(
      'c2',
      await put('c2', { payload: random }),
      400,
      'invalid_blueprint_error',
      /not a supported archive/,
      'failed_extracting',
    );
    await expectFailure(
      'c3',
      await put('c3', { payload: Buffer.from('PK\x03\x04broken zip') }),
      400,
      'invalid_blueprint_error',
      /zip archive is corrupt/,
      'failed_extracting',
    );
    const notYaml = await put('c4', { payload: 'key: [unclosed\n' });
    await expectFailure('c4', notYaml, 400, 'invalid_blueprint_error', /YAML/, 'failed_extracting');
  });

  test('unsafe entries are rejected naming the entry: .., absolute path, escaping links', async () => {
    const cases: [string, Buffer, RegExp][] = [
      [
        'u1',
        rawTar([
          { name: 'bp/blueprint.yaml', body: BP_YAML },
          { name: 'bp/../../evil', body: 'x' },
        ]),
        /`bp\/\.\.\/\.\.\/evil` contains `\.\.`/,
      ],
      [
        'u2',
        rawTar([
          { name: 'bp/blueprint.yaml', body: BP_YAML },
          { name: '/tmp/evil', body: 'x' },
        ]),
        /`\/tmp\/evil` has an absolute path/,
      ],
      [
        'u3',
        rawTar([
          { name: 'bp/blueprint.yaml', body: BP_YAML },
          { name: 'bp/l', type: '2', link: '../../../etc' },
        ]),
        /`bp\/l` is a symbolic link to `\.\.\/\.\.\/\.\.\/etc`, outside/,
      ],
      [
        'u4',
        rawTar([
          { name: 'bp/blueprint.yaml', body: BP_YAML },
          { name: 'bp/l', type: '2', link: '/etc/passwd' },
        ]),
        /`bp\/l` is a symbolic link to `\/etc\/passwd`/,
      ],
      [
        'u5',
        rawTar([
          { name: 'bp/blueprint.yaml', body: BP_YAML },
          { name: 'bp/h', type: '1', link: '../outside' },
        ]),
        /`bp\/h` is a hard link/,
      ],
      [
        'u6',
        rawTar([
          { name: 'bp/blueprint.yaml', body: BP_YAML },
          { name: 'bp/d', type: '2', link: '.' },
          { name: 'bp/d/x', body: 'x' },
        ]),
        /`bp\/d\/x` goes through the link `bp\/d`/,
      ],
      [
        'u8',
        rawTar([
          { name: 'bp/blueprint.yaml', body: BP_YAML },
          { name: 'bp/l', type: '2', link: '.' },
          { name: 'bp/m', type: '2', link: 'l/..' },
        ]),
        /`bp\/m` is a symbolic link to `l\/\.\.`, which climbs out of the link `bp\/l`/,
      ],
      [
        'u9',
        rawTar([
          { name: 'bp/blueprint.yaml', body: BP_YAML },
          { name: 'bp/m', type: '2', link: 'l/..' },
          { name: 'bp/l', type: '2', link: '.' },
        ]),
        /`m` is a symbolic link to `l\/\.\.`, outside the blueprint/,
      ],
      [
        'u10',
        rawTar([
          { name: 'bp/blueprint.yaml', body: BP_YAML },
          { name: 'bp/sub/up', type: '2', link: '../../x' },
        ]),
        /`sub\/up` is a symbolic link to `\.\.\/\.\.\/x`/,
      ],
    ];
    for (const [id, tarBuf, msg] of cases) {
      const r = await put(id, multipart(clientParams, gzipSync(tarBuf)));
      await expectFailure(id, r, 400, 'invalid_blueprint_error', msg, 'failed_extracting');
    }
    assert.equal(existsSync('/tmp/evil'), false);
    // A link that stays inside is fine.
    const inside = rawTar([
      { name: 'bp/blueprint.yaml', body: BP_YAML },
      { name: 'bp/alias.yaml', type: '2', link: 'blueprint.yaml' },
    ]);
    const ok = await put('u7', multipart(clientParams, gzipSync(inside)));
    assert.equal(ok.statusCode, 201, ok.body);
  });

  test('an escaping symlink in a zip is rejected', {
    skip: !hasZip && 'no zip CLI on this machine',
  }, async () => {
    const parent = bpDir('zs');
    symlinkSync('/etc/passwd', join(parent, 'zs', 'pw'));
    const out = join(scratch, 'zs.zip');
    assert.equal(spawnSync('zip', ['-q', '-r', '-y', out, 'zs'], { cwd: parent }).status, 0);
    const r = await put('zs1', { payload: readFileSync(out) });
    await expectFailure(
      'zs1',
      r,
      400,
      'invalid_blueprint_error',
      /`zs\/pw` is a symbolic link to `\/etc\/passwd`/,
      'failed_extracting',
    );
  });

  test('size and file-count limits: 413 for the body, the multipart file and the extracted tree', async () => {
    const big = Buffer.alloc(1024 * 1024 + 10, 'a');
    const raw = await put('s1', { payload: big });
    assert.equal(raw.statusCode, 413);
    assert.equal(raw.json().error_code, 'payload_too_large_error');
    const mp = await put('s2', multipart(clientParams, big));
    assert.equal(mp.statusCode, 413, mp.body);
    assert.equal(mp.json().error_code, 'payload_too_large_error');
    assert.equal((await get('s2')).statusCode, 404);
    noLeftovers();
    // 2 MB of zeros compresses to a few KB but is over the limit once extracted.
    const bomb = gzipSync(
      rawTar([
        { name: 'bp/blueprint.yaml', body: BP_YAML },
        { name: 'bp/zeros', body: '\0'.repeat(2 * 1024 * 1024) },
      ]),
    );
    assert.ok(bomb.length < 100_000);
    await expectFailure(
      's3',
      await put('s3', multipart(clientParams, bomb)),
      413,
      'payload_too_large_error',
      /over the limit of 1 MB/,
      'failed_extracting',
    );
    const many: Record<string, string> = { 'blueprint.yaml': BP_YAML };
    for (let i = 0; i < 25; i++) many[`f${i}.txt`] = 'x';
    await expectFailure(
      's4',
      await put('s4', multipart(clientParams, await tarGz(bpDir('bp', many)))),
      413,
      'payload_too_large_error',
      /more than 20 files/,
      'failed_extracting',
    );
  });

  test('missing main file, bad ids, bad arguments, no archive', async () => {
    const noMain = await put(
      'm1',
      multipart({ ...clientParams, application_file_name: 'nope.yaml' }, await tarGz(bpDir())),
    );
    await expectFailure(
      'm1',
      noMain,
      400,
      'invalid_blueprint_error',
      /main blueprint file `nope\.yaml` does not exist/,
      'failed_extracting',
    );
    for (const [id, msg] of [
      ['1abc', /must begin with a letter/],
      ['a%20b', /illegal characters/],
      ['a$b', /illegal characters/],
    ] as const) {
      const r = await put(id, multipart(clientParams, await tarGz(bpDir())));
      assert.equal(r.statusCode, 400, id);
      assert.equal(r.json().error_code, 'bad_parameters_error');
      assert.match(r.json().message, msg);
    }
    // Fastify's default maxParamLength (100) answers 414 before the route for long ids; the route's
    // own check (≤256, rest_utils.validate_inputs) is exercised directly.
    const long = await put(`a${'b'.repeat(256)}`, { payload: BP_YAML });
    assert.ok([400, 414].includes(long.statusCode));
    assert.throws(() => checkBlueprintId(`a${'b'.repeat(256)}`), /too long/);
    assert.doesNotThrow(() => checkBlueprintId(`a${'b'.repeat(255)}`));
    const traversal = await put('m2', { payload: BP_YAML, query: 'application_file_name=../../x.yaml' });
    assert.equal(traversal.statusCode, 400);
    assert.match(traversal.json().message, /application_file_name/);
    const vis = await put('m3', { payload: BP_YAML, query: 'visibility=public' });
    assert.equal(vis.statusCode, 400);
    const badParams = await put('m4', {
      payload: Buffer.from(
        '--x\r\nContent-Disposition: form-data; name="params"\r\n\r\n{oops\r\n' +
          `--x\r\nContent-Disposition: form-data; name="blueprint_archive"; filename="f"\r\n\r\n${'z'.repeat(200_000)}\r\n--x--\r\n`,
      ),
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    });
    assert.equal(badParams.statusCode, 400);
    assert.match(badParams.json().message, /params/);
    const otherFile = await put('m6', {
      payload: Buffer.from(
        '--x\r\nContent-Disposition: form-data; name="archive"; filename="f"\r\n\r\nabc\r\n--x--\r\n',
      ),
      headers: { 'content-type': 'multipart/form-data; boundary=x' },
    });
    assert.equal(otherFile.statusCode, 400);
    assert.match(otherFile.json().message, /blueprint_archive/);
    const none = await put('m5');
    assert.equal(none.statusCode, 400);
    assert.equal(none.json().error_code, 'upload_missing_file');
    noLeftovers();
  });

  test('no tenant header is 403; a viewer may list but not upload or delete', async () => {
    const noTenant = await m.call({
      method: 'PUT',
      url: '/api/v3.1/blueprints/t1',
      payload: BP_YAML,
      tenant: null,
    });
    assert.equal(noTenant.statusCode, 403);
    assert.equal(noTenant.json().error_code, 'forbidden_error');
    const noTenantList = await m.call({ method: 'GET', url: '/api/v3.1/blueprints', tenant: null });
    assert.equal(noTenantList.statusCode, 403);
    await m.call({ method: 'PUT', url: '/api/v3.1/users', payload: { username: 'viv', password: 'pw-viv' } });
    const add = await m.call({
      method: 'PUT',
      url: '/api/v3.1/tenants/users',
      payload: { tenant_name: 'default_tenant', username: 'viv', role: 'viewer' },
    });
    assert.equal(add.statusCode, 200, add.body);
    const viv = basic('viv', 'pw-viv');
    assert.equal((await put('yaml9', { payload: BP_YAML })).statusCode, 201);
    const up = await m.call({ method: 'PUT', url: '/api/v3.1/blueprints/t2', payload: BP_YAML, as: viv });
    assert.equal(up.statusCode, 403);
    assert.equal(up.json().error_code, 'forbidden_error');
    const list = await m.call({ method: 'GET', url: '/api/v3.1/blueprints', as: viv });
    assert.equal(list.statusCode, 200);
    assert.ok(list.json().items.some((b: { id: string }) => b.id === 'yaml9'));
    assert.ok(
      !list.json().items.some((b: { id: string }) => b.id === 'raw1'),
      'private blueprints of others are hidden',
    );
    const del = await m.call({ method: 'DELETE', url: '/api/v3.1/blueprints/yaml9', as: viv });
    assert.equal(del.statusCode, 403);
    const dl = await m.call({ method: 'GET', url: '/api/v3.1/blueprints/yaml9/archive', as: viv });
    assert.equal(dl.statusCode, 200);
  });

  test('the OpenAPI document lists the blueprint routes', async () => {
    const r = await m.call({ method: 'GET', url: '/api/v3.1/openapi.json', as: null, tenant: null });
    assert.equal(r.statusCode, 200);
    const paths = Object.keys(r.json().paths);
    for (const p of [
      '/api/v3.1/blueprints',
      '/api/v3.1/blueprints/{id}',
      '/api/v3.1/blueprints/{id}/archive',
    ]) {
      assert.ok(paths.includes(p), p);
    }
  });

  test('PATCH (internal update), set-visibility, and delete blocked by a deployment', async () => {
    assert.equal((await put('v1', { payload: BP_YAML })).statusCode, 201);
    const p = await m.call({
      method: 'PATCH',
      url: '/api/v3.1/blueprints/v1',
      payload: { plan: { a: 1 }, description: 'd', state: 'uploaded', labels: [{ k: 'v' }] },
    });
    assert.equal(p.statusCode, 200, p.body);
    assert.deepEqual(p.json().plan, { a: 1 });
    assert.equal(p.json().description, 'd');
    assert.equal(p.json().labels[0].key, 'k');
    const badState = await m.call({
      method: 'PATCH',
      url: '/api/v3.1/blueprints/v1',
      payload: { state: 'weird' },
    });
    assert.equal(badState.statusCode, 400);
    const g = await m.call({
      method: 'PATCH',
      url: '/api/v3.1/blueprints/v1/set-visibility',
      payload: { visibility: 'global' },
    });
    assert.equal(g.statusCode, 200, g.body);
    assert.equal(g.json().visibility, 'global');
    const down = await m.call({
      method: 'PATCH',
      url: '/api/v3.1/blueprints/v1/set-visibility',
      payload: { visibility: 'tenant' },
    });
    assert.equal(down.statusCode, 400);
    assert.equal(down.json().error_code, 'illegal_action_error');

    const [row] = await m.db.query<{ _storage_id: number; _tenant_id: number; _creator_id: number }>(
      "SELECT _storage_id, _tenant_id, _creator_id FROM blueprints WHERE id = 'v1'",
    );
    await m.db.query(
      'INSERT INTO deployments (id, _tenant_id, _creator_id, _blueprint_fk) VALUES ($1, $2, $3, $4)',
      ['dep1', row._tenant_id, row._creator_id, row._storage_id],
    );
    const del = await m.call({ method: 'DELETE', url: '/api/v3.1/blueprints/v1?force=True' });
    assert.equal(del.statusCode, 400);
    assert.equal(del.json().error_code, 'dependent_exists_error');
    assert.match(del.json().message, /dep1/);
    await m.db.query("DELETE FROM deployments WHERE id = 'dep1'");
    assert.equal((await m.call({ method: 'DELETE', url: '/api/v3.1/blueprints/v1' })).statusCode, 204);
  });
});
