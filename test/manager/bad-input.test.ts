// Bad input is a 4xx with a clear message, never a 5xx, and never a stack trace outside debug mode:
// the cases an OpenAPI-driven sweep found (NUL bytes, `_search` on the cluster lists, a numeric token
// expiry, truncated multipart uploads, a form-encoded license), one by one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { embeddedOnly, forEachDriver } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';

const A = '/api/v3.1';

function assertClientError(r: LightMyRequestResponse, what: string, status = 400): void {
  assert.equal(r.statusCode, status, `${what}: ${r.body.slice(0, 300)}`);
  const body = r.json();
  assert.equal(body.server_traceback, null, `${what}: no stack trace`);
  assert.doesNotMatch(body.message, /invalid byte sequence|is not a function|out of range/, what);
}

/** A multipart body cut short: the archive part starts and the closing boundary never comes. */
function truncatedMultipart(): { payload: Buffer; headers: Record<string, string> } {
  const b = 'XyZboundary';
  const text = `--${b}\r\nContent-Disposition: form-data; name="params"\r\n\r\n{"application_file_name": "bp.yaml"}\r\n--${b}\r\nContent-Disposition: form-data; name="blueprint_archive"; filename="bp.tar.gz"\r\nContent-Type: application/octet-stream\r\n\r\n\x1f\x8b\x08\x00abc`;
  return {
    payload: Buffer.from(text, 'latin1'),
    headers: { 'content-type': `multipart/form-data; boundary=${b}` },
  };
}

forEachDriver('bad input is never a 5xx', (fx) => {
  let m: TestManager;
  before(async () => {
    m = await startTestManager(fx);
  });
  after(async () => m?.close());

  test('a NUL byte in an id, a filter or _search is 400 naming it', async () => {
    for (const url of [
      `${A}/blueprints/bp%00x`,
      `${A}/deployments/d%00`,
      `${A}/executions/%00`,
      `${A}/secrets/s%00`,
      `${A}/blueprints?_search=a%00b`,
      `${A}/deployments?_search=%00`,
      `${A}/deployments?blueprint_id=a%00`,
      `${A}/node-instances?_search=x%00`,
      `${A}/events?_search=x%00`,
      `${A}/users?_search=%00`,
    ]) {
      const r = await m.call({ method: 'GET', url });
      assertClientError(r, url);
      assert.match(r.json().message, /NUL/, url);
    }
    const body = await m.call({ method: 'PUT', url: `${A}/secrets/k1`, payload: { value: 'a\u0000b' } });
    assertClientError(body, 'a NUL in a JSON body');
  });

  test('an empty _include, and names of Object.prototype as fields', async () => {
    for (const url of [
      `${A}/deployments?_include=`,
      `${A}/executions/nope?_include=`,
      `${A}/deployments?_include=constructor`,
      `${A}/deployments?_sort=-toString`,
      `${A}/deployments?constructor=x`,
      `${A}/blueprints?__proto__=x`,
    ]) {
      const r = await m.call({ method: 'GET', url });
      assert.ok(r.statusCode < 500, `${url}: ${r.statusCode} ${r.body.slice(0, 200)}`);
    }
    const all = await m.call({ method: 'GET', url: `${A}/blueprints?_include=` });
    assert.equal(all.statusCode, 200);
  });

  test('_search on every cluster list', async () => {
    for (const list of ['managers', 'brokers', 'db-nodes']) {
      const r = await m.call({ method: 'GET', url: `${A}/${list}?_search=abc` });
      assert.equal(r.statusCode, 200, `${list}: ${r.body.slice(0, 300)}`);
    }
    const found = await m.call({ method: 'GET', url: `${A}/managers?_search=local` });
    assert.equal(found.json().items.length, 1);
  });

  test('POST /tokens with a number or an out-of-range expiration_date', async () => {
    for (const expiration_date of [12345, '12345', '99999-01-01', '0000-00-00']) {
      const r = await m.call({ method: 'POST', url: `${A}/tokens`, payload: { expiration_date } });
      assertClientError(r, `expiration_date ${JSON.stringify(expiration_date)}`);
    }
    const ok = await m.call({
      method: 'POST',
      url: `${A}/tokens`,
      payload: { expiration_date: '2090-01-01T00:00:00Z' },
    });
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('a truncated multipart upload or validation', async () => {
    for (const url of [`${A}/blueprints/bp-cut`, `${A}/blueprints/bp-cut/validate`]) {
      const r = await m.call({ method: 'PUT', url, ...truncatedMultipart() });
      assertClientError(r, url);
    }
  });

  test('PUT /license with a form content type', async () => {
    for (const type of [
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=zz',
      'text/plain',
    ]) {
      const r = await m.call({
        method: 'PUT',
        url: `${A}/license`,
        headers: { 'content-type': type },
        payload: 'license=abc&x=1',
      });
      assert.ok(r.statusCode >= 400 && r.statusCode < 500, `${type}: ${r.statusCode} ${r.body}`);
      assert.equal(r.json().server_traceback, null);
    }
  });
});

embeddedOnly('server_traceback only in debug mode', (fx) => {
  for (const debug of [false, true]) {
    test(`an unexpected failure is a 500 ${debug ? 'with' : 'without'} its stack trace (debug ${debug})`, async () => {
      const m = await startTestManager(fx, { debug });
      try {
        await m.db.close();
        const r = await m.call({ method: 'GET', url: `${A}/blueprints` });
        assert.equal(r.statusCode, 500, r.body);
        const trace = r.json().server_traceback;
        if (debug) assert.match(trace, /\n\s+at /);
        else assert.equal(trace, null);
      } finally {
        await m.close().catch(() => {});
      }
    });
  }
});
