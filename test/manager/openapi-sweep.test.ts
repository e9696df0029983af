// A property-based sweep of the REST service: every operation of its OpenAPI document gets generated
// bad input (NUL bytes and broken UTF-8 in ids and queries, `_search` on every list, wrong JSON types,
// truncated multipart bodies, form and text content types) as an authenticated admin, and must answer
// within 5 s with a non-5xx status and no stack trace (server_traceback) outside debug mode.
// A failure prints fast-check's seed and the shrunk request; SWEEP_SEED=<n> replays a run.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import fc from 'fast-check';
import { embeddedOnly } from '../helpers/drivers.js';
import { startTestManager, type TestManager } from '../helpers/manager.js';

const A = '/api/v3.1';
const RUNS_PER_OPERATION = Number(process.env.SWEEP_RUNS ?? 12);
const DEADLINE_MS = 5000;

interface Param {
  in: string;
  name: string;
}
interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: string[];
  bodyFields: string[];
  takesBody: boolean;
}
interface OpenApi {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: Param[];
        requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
      }
    >
  >;
}

function operationsOf(doc: OpenApi): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => {
      const params = op.parameters ?? [];
      const schema = op.requestBody?.content?.['application/json']?.schema;
      return {
        method: method.toUpperCase(),
        path,
        pathParams: [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!),
        query: params.filter((p) => p.in === 'query').map((p) => p.name),
        bodyFields: Object.keys(schema?.properties ?? {}),
        takesBody: method !== 'get' && method !== 'delete',
      };
    }),
  );
}

/** Every byte of the UTF-8 text percent-encoded (lone surrogates become U+FFFD). */
const pct = (s: string) =>
  [...Buffer.from(s, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');

/** Raw URL text: NUL bytes, invalid UTF-8, traversal, overlong, and arbitrary strings. */
const urlPiece = fc.oneof(
  fc.constantFrom(
    '%00',
    'a%00b',
    '%FF',
    '%C3%28',
    '%ED%A0%80',
    '..',
    '%2e%2e%2f',
    '%',
    'x'.repeat(300),
    'x1',
  ),
  fc.string({ unit: 'binary', maxLength: 40 }).map(pct),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);

/** JSON values of the wrong kind for a field (numbers where dates go, NUL strings, deep nesting). */
const badValue = fc.oneof(
  fc.constantFrom(12345, -1, 1e308, 0.5, true, null, '', '\u0000', 'a\u0000b', '99999-01-01', '0000-00-00'),
  fc.constantFrom('x'.repeat(70_000), [[[[[]]]]], { $ref: '#' }, ['\u0000']),
  fc.jsonValue({ maxDepth: 3 }),
);

const jsonBody = (fields: string[]) =>
  fields.length
    ? fc.oneof(
        fc.dictionary(fc.constantFrom(...fields), badValue, { maxKeys: fields.length }),
        fc.jsonValue({ maxDepth: 2 }),
      )
    : fc.jsonValue({ maxDepth: 2 });

const BOUNDARY = 'sweepBoundary';
/** Bodies with a content type: JSON, malformed JSON, truncated multipart, form, text, bytes. */
const bodyOf = (op: Operation) =>
  fc.oneof(
    jsonBody(op.bodyFields).map((v) => ({ type: 'application/json', payload: JSON.stringify(v) })),
    fc.constantFrom(
      { type: 'application/json', payload: '{"a":' },
      { type: 'application/json', payload: '"\\u0000"' },
      { type: 'application/x-www-form-urlencoded', payload: 'a=1&b=%00' },
      { type: 'text/plain', payload: 'plain text' },
      { type: 'application/octet-stream', payload: '\x1f\x8b\x08\x00broken' },
      {
        type: `multipart/form-data; boundary=${BOUNDARY}`,
        payload: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="params"\r\n\r\n{"x":1}\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="blueprint_archive"; filename="a.zip"\r\n\r\nPK\x03`,
      },
      { type: `multipart/form-data; boundary=${BOUNDARY}`, payload: 'not multipart at all' },
      { type: 'multipart/form-data', payload: '--x\r\n' },
    ),
  );

const queryOf = (op: Operation) =>
  fc.dictionary(
    fc.constantFrom(
      ...op.query,
      '_search',
      '_size',
      '_offset',
      '_sort',
      '_include',
      'no_such_filter',
      'constructor',
    ),
    urlPiece,
    { maxKeys: 4 },
  );

const requestOf = (op: Operation) =>
  fc.record({
    params: fc.tuple(...op.pathParams.map(() => urlPiece)),
    query: queryOf(op),
    body: op.takesBody ? fc.option(bodyOf(op), { nil: undefined }) : fc.constant(undefined),
  });

type Generated = {
  params: string[];
  query: Record<string, string>;
  body?: { type: string; payload: string };
};

function urlOf(op: Operation, r: Generated): string {
  let i = 0;
  const path = op.path.replace(/\{[^}]+\}/g, () => r.params[i++] ?? 'x1');
  const q = Object.entries(r.query).map(([k, v]) => `${encodeURIComponent(k)}=${v}`);
  return q.length ? `${path}?${q.join('&')}` : path;
}

/** Operations that would end the sweep for the others (maintenance mode answers 503 to everything). */
const SKIP = new Set(['POST /api/v3.1/maintenance/{action}']);

embeddedOnly('OpenAPI sweep: bad input is never a 5xx', (fx) => {
  let m: TestManager;
  let ops: Operation[];
  before(async () => {
    m = await startTestManager(fx);
    ops = operationsOf((await m.call({ method: 'GET', url: `${A}/openapi.json` })).json());
  });
  after(async () => m?.close());

  async function send(op: Operation, r: Generated): Promise<string | undefined> {
    const url = urlOf(op, r);
    const headers = r.body ? { 'content-type': r.body.type } : {};
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), DEADLINE_MS);
    });
    const started = Date.now();
    const res = await Promise.race([
      m.call({ method: op.method as 'GET', url, headers, payload: r.body?.payload }),
      timeout,
    ]).finally(() => clearTimeout(timer));
    if (res === 'timeout') return `${op.method} ${url}: no answer in ${DEADLINE_MS} ms`;
    if (res.statusCode >= 500) return `${op.method} ${url}: ${res.statusCode} ${res.body.slice(0, 300)}`;
    if (/server_traceback"\s*:\s*"/.test(res.body))
      return `${op.method} ${url}: a stack trace in ${res.body.slice(0, 300)}`;
    if (Date.now() - started > DEADLINE_MS) return `${op.method} ${url}: took ${Date.now() - started} ms`;
    return undefined;
  }

  test('every operation of the OpenAPI document, with generated bad input', async () => {
    assert.ok(ops.length >= 90, `the document lists ${ops.length} operations`);
    const seed = process.env.SWEEP_SEED ? Number(process.env.SWEEP_SEED) : Date.now() % 2 ** 31;
    const failures: string[] = [];
    for (const [i, op] of ops.entries()) {
      if (SKIP.has(`${op.method} ${op.path}`)) continue;
      const out = await fc.check(
        fc.asyncProperty(requestOf(op), async (r) => (await send(op, r as Generated)) === undefined),
        { numRuns: RUNS_PER_OPERATION, seed: seed + i, endOnFailure: true },
      );
      if (out.failed) {
        const r = out.counterexample![0] as Generated;
        failures.push(`${await send(op, r)} (SWEEP_SEED=${seed})`);
      }
    }
    assert.deepEqual(failures, []);
  });

  test('NUL in every path parameter and in _search on every list', async () => {
    const failures: string[] = [];
    for (const op of ops) {
      if (SKIP.has(`${op.method} ${op.path}`)) continue;
      const cases: Generated[] = [];
      if (op.pathParams.length) cases.push({ params: op.pathParams.map(() => 'a%00b'), query: {} });
      if (op.query.includes('_search')) cases.push({ params: [], query: { _search: 'a%00' } });
      for (const c of cases) {
        const why = await send(op, c);
        if (why) failures.push(why);
      }
    }
    assert.deepEqual(failures, []);
  });
});
