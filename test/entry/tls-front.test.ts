// `cfy_manager serve` with certificates: the TLS front of cfy_manager.md §6.5 in the serve process.
// A throwaway CA signs an internal and an external certificate; serve listens on free ports standing
// for 443, 53333 and 80, on the embedded database.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { externalSni } from '../../src/entry/front.js';
import {
  type CertFiles,
  CFY_MANAGER,
  httpsGet,
  makeCerts,
  PASSWORD,
  PUBLIC_NAME,
  peerCert,
  ROOT,
  type Served,
  serveWithFront,
  tlsArgs,
} from './tls-helpers.js';

const work = mkdtempSync(join(tmpdir(), 'stratus-tls-front-'));
after(() => rmSync(work, { recursive: true, force: true }));
const auth = {
  authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`,
  tenant: 'default_tenant',
};

function plainGet(
  port: number,
  path: string,
  host = 'localhost',
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers: { host: `${host}:${port}` }, agent: false },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('serve with the TLS front', () => {
  let certs: CertFiles;
  let ca: Buffer;
  let m: Served;
  const same = (a: X509Certificate, file: string) =>
    a.fingerprint256 === new X509Certificate(readFileSync(file)).fingerprint256;

  before(async () => {
    certs = await makeCerts(join(work, 'certs'));
    ca = readFileSync(certs.ca);
    const data = join(work, 'data');
    mkdirSync(join(data, 'resources', 'cloudify_agent'), { recursive: true });
    writeFileSync(join(data, 'resources', 'cloudify_agent', 'agent.tar.gz'), 'agent package');
    m = await serveWithFront([
      '--data-dir',
      data,
      '--admin-password',
      PASSWORD,
      '--public-name',
      PUBLIC_NAME,
      ...tlsArgs(certs),
    ]);
  });
  after(async () => {
    await m?.stop();
  });

  test('the external port verifies against the CA with the internal cert, and SNI of the public name gets the external cert', async (t) => {
    const byIp = await peerCert(m.https, { ca, servername: 'localhost' });
    assert.ok(same(byIp.cert, certs.internalCert));
    const pub = await peerCert(m.https, { ca, servername: PUBLIC_NAME });
    assert.ok(same(pub.cert, certs.externalCert), `got ${pub.cert.subject}`);
    t.diagnostic(`negotiated ${byIp.protocol}`);
  });

  test('the internal port verifies against the CA and serves the internal cert, whatever the name', async () => {
    assert.ok(same((await peerCert(m.internal, { ca, servername: 'localhost' })).cert, certs.internalCert));
    const pub = await peerCert(m.internal, {
      ca,
      servername: 'localhost',
      checkServerIdentity: () => undefined,
    });
    assert.ok(same(pub.cert, certs.internalCert));
    await assert.rejects(peerCert(m.internal, { ca, servername: PUBLIC_NAME }), /does not match|altnames/i);
  });

  test('a client without the CA does not verify', async () => {
    await assert.rejects(
      peerCert(m.https, { servername: 'localhost' }),
      /unable to (get local issuer|verify the first)|self[- ]signed/i,
    );
  });

  test('TLS 1.1 is refused by the server, TLS 1.2 is accepted', async () => {
    const old = {
      servername: 'localhost',
      rejectUnauthorized: false,
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: 'DEFAULT:@SECLEVEL=0',
    } as const;
    await assert.rejects(peerCert(m.https, old), (e: NodeJS.ErrnoException) => {
      assert.equal(e.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION', e.message);
      return true;
    });
    await assert.rejects(peerCert(m.internal, old), { code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' });
    const v12 = await peerCert(m.https, { ca, servername: 'localhost', maxVersion: 'TLSv1.2' });
    assert.equal(v12.protocol, 'TLSv1.2');
  });

  test('plain HTTP to a TLS port gets no HTTP answer', async () => {
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      const s = netConnect(m.https, '127.0.0.1', () =>
        s.write('GET /api/v3.1/ok HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      s.setTimeout(10_000, () => s.destroy());
      s.on('data', (c: Buffer) => {
        got += c.toString('latin1');
      });
      s.on('error', () => {});
      s.on('close', () => resolve(got));
    });
    assert.doesNotMatch(answer, /^HTTP\//);
  });

  test('every TLS answer carries HSTS: 200, 401 and 404 alike', async () => {
    const ok = await httpsGet(m.https, '/api/v3.1/status', ca, auth);
    assert.equal(ok.status, 200, ok.body);
    assert.equal(JSON.parse(ok.body).status, 'OK');
    const denied = await httpsGet(m.internal, '/api/v3.1/status', ca);
    assert.equal(denied.status, 401);
    const missing = await httpsGet(m.https, '/nowhere', ca);
    assert.equal(missing.status, 404);
    for (const a of [ok, denied, missing])
      assert.equal(a.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  });

  test('the plain port: 400 SSL_REQUIRED for the API, 308 to https for the rest', async () => {
    const api = await plainGet(m.http, '/api/v3.1/status');
    assert.equal(api.status, 400);
    assert.deepEqual(JSON.parse(api.body), {
      message: 'SSL must be used for API access on SSL-enabled managers.',
      error_code: 'SSL_REQUIRED',
    });
    const root = await plainGet(m.http, '/');
    assert.equal(root.status, 308);
    assert.equal(root.headers.location, `https://localhost:${m.https}/`);
    const deep = await plainGet(m.http, '/console/login?next=%2F', PUBLIC_NAME);
    assert.equal(deep.headers.location, `https://${PUBLIC_NAME}:${m.https}/console/login?next=%2F`);
    assert.equal(deep.headers['strict-transport-security'], undefined);
  });

  test('/resources needs authentication, except the agent packages', async () => {
    const anon = await httpsGet(m.https, '/resources/blueprints/default_tenant/x.yaml', ca);
    assert.equal(anon.status, 401, anon.body);
    const authed = await httpsGet(m.https, '/resources/blueprints/default_tenant/x.yaml', ca, auth);
    assert.equal(authed.status, 404, authed.body);
    const agent = await httpsGet(m.internal, '/resources/cloudify_agent/agent.tar.gz', ca);
    assert.equal(agent.status, 200, agent.body);
    assert.equal(agent.body, 'agent package');
    const outside = await httpsGet(m.internal, '/resources/cloudify_agent/../blueprints/x', ca);
    assert.equal(outside.status, 404);
  });

  test('the finish message points cfy at https, the external port and the CA', () => {
    assert.match(m.output(), new RegExp(`Manager is up at https://${PUBLIC_NAME}:${m.https}`));
    assert.match(m.output(), new RegExp(`--rest-port ${m.https} --ssl -c ${certs.ca}`));
  });

  test('SIGTERM stops every listener and exits 0 within 10 s', async () => {
    const t0 = Date.now();
    assert.equal(await m.stop(12_000), 0, m.output());
    assert.ok(Date.now() - t0 < 10_000);
    await assert.rejects(peerCert(m.https, { ca, servername: 'localhost' }), /ECONNREFUSED/);
    await assert.rejects(plainGet(m.http, '/'), /ECONNREFUSED/);
  });
});

describe('serve with bad certificates: one line, exit 1', () => {
  let certs: CertFiles;
  before(async () => {
    certs = await makeCerts(join(work, 'bad-certs'));
  });

  const run = (args: string[]) => {
    const r = spawnSync(CFY_MANAGER, ['serve', '--data-dir', join(work, 'never'), ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').length, 2, `not one line:\n${r.stderr}`);
    assert.doesNotMatch(r.stderr, /^\s+at |\.ts:\d+/m);
    return r.stderr.trim();
  };
  const withInternal = (cert: string, key: string) => ['--internal-cert', cert, '--internal-key', key];

  test('a missing certificate', () => {
    const missing = join(work, 'nope.crt');
    assert.equal(
      run(withInternal(missing, certs.internalKey)),
      `cfy_manager: error: --internal-cert ${missing} cannot be read (ENOENT): give a PEM file this user can read`,
    );
  });

  test('an unreadable key (a directory)', () => {
    assert.match(
      run(withInternal(certs.internalCert, certs.dir)),
      /^cfy_manager: error: --internal-key .* cannot be read \(EISDIR\)/,
    );
  });

  test('a key that does not match its certificate', () => {
    assert.equal(
      run(withInternal(certs.internalCert, certs.externalKey)),
      `cfy_manager: error: --internal-key ${certs.externalKey} does not match --internal-cert ${certs.internalCert}: give the key the certificate was issued for`,
    );
    assert.match(
      run([
        ...withInternal(certs.internalCert, certs.internalKey),
        '--external-cert',
        certs.externalCert,
        '--external-key',
        certs.internalKey,
      ]),
      /^cfy_manager: error: --external-key .* does not match --external-cert /,
    );
  });

  test('a key given as the certificate, a certificate given as the key', () => {
    assert.match(
      run(withInternal(certs.internalKey, certs.internalKey)),
      /--internal-cert .* is not a PEM certificate/,
    );
    assert.match(
      run(withInternal(certs.internalCert, certs.internalCert)),
      /--internal-key .* is not a PEM private key/,
    );
  });

  test('a certificate without its key, and a CA that did not sign it', () => {
    assert.match(
      run(['--internal-cert', certs.internalCert]),
      /--internal-cert and --internal-key go together/,
    );
    assert.match(
      run([...withInternal(certs.internalCert, certs.internalKey), '--ca-cert', certs.internalCert]),
      /--internal-cert .* is not signed by --ca-cert /,
    );
  });

  test('the plain port on a TLS port', () => {
    assert.equal(
      run([
        ...withInternal(certs.internalCert, certs.internalKey),
        '--https-port',
        '8443',
        '--http-port',
        '8443',
      ]),
      'cfy_manager: error: --http-port 8443 is also a TLS port: give the plain port its own number',
    );
  });
});

describe('which certificate the external port serves to the public name', () => {
  const pair = { cert: Buffer.from(''), key: Buffer.from('') };
  test('a hostname is selected by SNI, case-insensitively', () => {
    assert.deepEqual(
      externalSni({ certs: { internal: pair, external: pair }, publicName: 'Manager.Example.COM' }),
      {
        name: 'manager.example.com',
      },
    );
  });
  test('an IP address cannot be: the internal certificate serves it, and a note says so', () => {
    const r = externalSni({ certs: { internal: pair, external: pair }, publicName: '192.0.2.10' });
    assert.equal(r.name, undefined);
    assert.match(r.note ?? '', /192\.0\.2\.10 is an IP address, which SNI cannot select/);
  });
  test('without an external certificate there is nothing to select', () => {
    assert.deepEqual(externalSni({ certs: { internal: pair }, publicName: 'm.example.com' }), {});
  });
});
