// Certificate handling against an https stub manager with a throwaway self-signed CA: verification
// failure is one line (exit 3); -c/--rest-certificate or CLOUDIFY_SSL_TRUST_ALL make it work.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { makeCfy } from './helpers.js';

describe('cfy over https', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cfy-tls-'));
  const cfy = makeCfy();
  let server: Server;
  let port = 0;
  const seen: { path: string; tenant?: string; auth?: string }[] = [];
  before(async () => {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'ca.crt'),
      ],
      { stdio: 'ignore' },
    );
    server = createServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.crt')) },
      (req, res) => {
        seen.push({
          path: req.url ?? '',
          tenant: req.headers.tenant as string,
          auth: req.headers.authorization,
        });
        if (req.url?.startsWith('/api/v3.1/status')) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ status: 'OK', services: { 'Manager Rest-Service': { status: 'Active' } } }),
          );
          return;
        }
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ message: 'not here', error_code: 'not_found_error', server_traceback: null }),
        );
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  after(() => {
    server?.close();
    cfy.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const use = (extra: string[]) =>
    cfy([
      'profiles',
      'use',
      'localhost',
      '--ssl',
      '--rest-port',
      String(port),
      '-u',
      'admin',
      '-p',
      'pw',
      ...extra,
    ]);

  test('a certificate that does not verify: one line, exit 3, no profile', async () => {
    const r = await use([]);
    assert.equal(r.code, 3, r.stderr);
    assert.match(
      r.stderr.split('\n')[0]!,
      /^SSL certificate verification failed for the manager at localhost: self[- ]signed certificate/,
    );
    assert.match(r.stderr, /fix: give the manager's CA certificate with `cfy profiles set -c <ca.crt>`/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });

  test('with -c the CA verifies, and the profile keeps https, the port and the CA path', async () => {
    const r = await use(['-c', join(dir, 'ca.crt')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /using https \(SSL mode: True\)/);
    const ctx = JSON.parse(
      readFileSync(join(cfy.workdir, '.cloudify/profiles/localhost/context.json'), 'utf8'),
    );
    assert.equal(ctx.rest_protocol, 'https');
    assert.equal(ctx.rest_certificate, join(dir, 'ca.crt'));
    const s = await cfy(['status']);
    assert.equal(s.code, 0, s.stderr);
    const last = seen.at(-1)!;
    assert.equal(last.tenant, 'default_tenant');
    assert.equal(last.auth, `Basic ${Buffer.from('admin:pw').toString('base64')}`);
  });

  test('CLOUDIFY_SSL_TRUST_ALL turns verification off', async () => {
    assert.equal((await cfy(['profiles', 'unset', '-c', '--skip-credentials-validation'])).code, 0);
    assert.equal((await cfy(['status'])).code, 3);
    const r = await cfy(['status'], { env: { CLOUDIFY_SSL_TRUST_ALL: 'true' } });
    assert.equal(r.code, 0, r.stderr);
  });
});
