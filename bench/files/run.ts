// Blueprint files benchmark (cfy_manager.md §6.7): what storing a blueprint's files in the
// database costs. Two managers in this process on one database (embedded: one PGlite shared; server: a
// throwaway PostgreSQL 15, one connection pool each), separate data directories. For a 10 MB and a
// 50 MB blueprint (random, incompressible bytes in 5 files) it times the upload through manager1, the
// first read of a file through manager2 (its local copy of the folder is written out from the database)
// and the second one, and the same for the archive download. Prints a Markdown table with the load
// average; each figure is wall time with this process's CPU time (PGlite runs in it; PostgreSQL not). The last two columns time the database's part alone: storing the folder and archive (what
// an upload adds) and writing a local copy of the folder out (what a first read adds).
// Usage: node --import tsx bench/files/run.ts [embedded|server]…
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { create as tarCreate } from 'tar';
import { createManager, type Manager } from '../../src/entry/manager.js';
import { defaultConfig } from '../../src/manager/config.js';
import { openEmbedded } from '../../src/store/embedded.js';
import { BlueprintFilesCache } from '../../src/store/files/cache.js';
import { writeBlueprintFiles } from '../../src/store/files/pack.js';
import { migrate } from '../../src/store/migrate.js';
import type { Db } from '../../src/store/port.js';
import { insertBlueprint } from '../../src/store/repositories/blueprints.js';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { startPostgres } from '../../test/helpers/postgres.js';

const MB = 1024 * 1024;
const SIZES = [10, 50];
const PASSWORD = 'bench-admin-pw';
const auth = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
const log = (msg: string) => process.stderr.write(`[bench:files] ${msg}\n`);

/** Writes the blueprint folder `<dir>/bp` and its archive `<dir>/bp.tar.gz`; returns the archive. */
async function archiveOf(dir: string, mb: number): Promise<Buffer> {
  const bp = join(dir, 'bp');
  rmSync(bp, { recursive: true, force: true });
  mkdirSync(bp, { recursive: true });
  writeFileSync(
    join(bp, 'blueprint.yaml'),
    'tosca_definitions_version: cloudify_dsl_1_3\nnode_templates: {}\n',
  );
  for (let i = 0; i < 5; i++) writeFileSync(join(bp, `data-${i}.bin`), randomBytes((mb * MB) / 5));
  await tarCreate({ gzip: true, file: join(dir, 'bp.tar.gz'), cwd: dir, portable: true }, ['bp']);
  return readFileSync(join(dir, 'bp.tar.gz'));
}

/**
 * The database's part alone, on the folder and archive just built: storing them for a row of their
 * own in one transaction (what an upload adds), and writing a local copy of the folder out (what a
 * first read adds).
 */
async function direct(m: Manager, dir: string, id: string): Promise<{ store: Took; copy: Took }> {
  const [admin] = await m.db.query<{ id: number }>("SELECT id FROM users WHERE username = 'admin'");
  let t = clock();
  const key = await m.db.transaction(async (tx) => {
    const storageId = await insertBlueprint(tx, {
      id,
      visibility: 'tenant',
      tenantId: 0,
      creatorId: admin.id,
      state: 'uploaded',
      mainFileName: 'blueprint.yaml',
      error: null,
      errorTraceback: null,
      requirements: undefined,
      labels: [],
    });
    const files = { archive: join(dir, 'bp.tar.gz'), archiveName: `${id}.tar.gz`, folder: join(dir, 'bp') };
    return { storageId, sha256: await writeBlueprintFiles(tx, storageId, files) };
  });
  const store = t.since();
  t = clock();
  await new BlueprintFilesCache(m.db, join(dir, `cache-${id}`)).folder(key);
  return { store, copy: t.since() };
}

interface Took {
  ms: number;
  /** CPU time of this process meanwhile (user + system). */
  cpu: number;
  note?: string;
}

/** Wall and CPU time from now: the CPU time shows the cost apart from the machine's other load. */
function clock(): { since(): Took } {
  const t = performance.now();
  const c = process.cpuUsage();
  return {
    since() {
      const d = process.cpuUsage(c);
      return { ms: performance.now() - t, cpu: (d.user + d.system) / 1000 };
    },
  };
}

async function timed(what: string, fn: () => Promise<{ statusCode: number; body: string }>): Promise<Took> {
  const t = clock();
  const r = await fn();
  const took = t.since();
  if (r.statusCode >= 300)
    return { ...took, ms: Number.NaN, note: `${what}: ${r.statusCode} ${r.body.slice(0, 200)}` };
  return took;
}

interface Setup {
  managers: [Manager, Manager];
  close(): Promise<void>;
}

async function setup(driver: string, scratch: string): Promise<Setup> {
  let shared: Db | undefined;
  let dbUrl: string | undefined;
  let stopPg: (() => Promise<void>) | undefined;
  if (driver === 'embedded') {
    shared = await openEmbedded(join(scratch, 'pglite'));
    await migrate(shared);
  } else {
    const pg = await startPostgres();
    stopPg = pg.stop;
    const admin = await openServer(parseDbUrl(pg.url));
    await admin.exec('CREATE DATABASE bench_files');
    await admin.close();
    dbUrl = pg.url.replace(/\/postgres$/, '/bench_files');
  }
  const managers: Manager[] = [];
  for (const i of [1, 2]) {
    const config = defaultConfig({
      dataDir: join(scratch, `manager${i}`),
      adminPassword: PASSWORD,
      dbUrl,
      hostname: `manager${i}`,
      privateIp: `127.0.0.${i}`,
      blueprintMaxSizeMb: 64,
    });
    managers.push(await createManager(config, { db: shared, dispatcher: null }));
  }
  return {
    managers: managers as [Manager, Manager],
    async close() {
      for (const m of managers) await m.close();
      await shared?.close();
      await stopPg?.();
    },
  };
}

const call = (m: Manager, method: 'GET' | 'PUT', url: string, payload?: Buffer) =>
  m.app.inject({
    method,
    url,
    payload,
    headers: { authorization: auth, tenant: 'default_tenant', 'content-type': 'application/octet-stream' },
  });

async function measure(driver: string): Promise<string[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'stratus-bench-files-'));
  const rows: string[] = [];
  try {
    const { managers, close } = await setup(driver, scratch);
    const [m1, m2] = managers;
    try {
      for (const mb of SIZES) {
        const archive = await archiveOf(scratch, mb);
        const id = `bench${mb}`;
        const load = loadavg()[0].toFixed(2);
        const up = await timed('upload', () =>
          call(m1, 'PUT', `/api/v3.1/blueprints/${id}?application_file_name=blueprint.yaml`, archive),
        );
        const file = `/resources/blueprints/default_tenant/${id}/data-0.bin`;
        const read1 = await timed('first read', () => call(m2, 'GET', file));
        const read2 = await timed('second read', () => call(m2, 'GET', file));
        const dl1 = await timed('first download', () =>
          call(m2, 'GET', `/api/v3.1/blueprints/${id}/archive`),
        );
        const dl2 = await timed('second download', () =>
          call(m2, 'GET', `/api/v3.1/blueprints/${id}/archive`),
        );
        const d = await direct(m1, scratch, `direct${mb}`);
        const f = (x: Took) =>
          Number.isNaN(x.ms) ? 'n/a' : `${Math.round(x.ms)} ms (CPU ${Math.round(x.cpu)})`;
        const notes = [up, read1, dl1]
          .map((x) => x.note)
          .filter(Boolean)
          .join('; ');
        rows.push(
          `| ${driver} | ${mb} MB (archive ${(archive.length / MB).toFixed(1)} MiB) | ${f(up)} | ${f(read1)} | ${f(read2)} | ${f(dl1)} | ${f(dl2)} | ${f(d.store)} | ${f(d.copy)} | ${load} → ${loadavg()[0].toFixed(2)} |${notes ? ` ${notes}` : ''}`,
        );
        log(rows[rows.length - 1]);
      }
    } finally {
      await close();
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return rows;
}

const drivers = process.argv.slice(2).length ? process.argv.slice(2) : ['embedded', 'server'];
const rows: string[] = [];
for (const d of drivers) rows.push(...(await measure(d)));
const section = [
  '## Blueprint files',
  '',
  '`npm run bench:files`: what storing blueprint files in the database costs (decision 18). Two managers in one',
  'process on one database, separate data directories; random (incompressible) bytes in 5 files; each figure is wall',
  "time with this process's CPU time in brackets (PGlite runs in it, PostgreSQL does not). The last two columns time",
  "the database's part alone: storing the folder and archive (what an upload adds) and writing a local copy out (what",
  "a manager's first read adds); a cached read is the floor the first read compares with.",
  `Measured ${new Date().toISOString().slice(0, 10)}, node ${process.version}; load = 1-minute load average before → after;`,
  `peak RSS of this process (both managers, and PGlite for embedded): ${Math.round(process.resourceUsage().maxRSS / 1024)} MB.`,
  '',
  '| driver | blueprint | upload (manager1) | first file read (manager2) | second read | first archive download (manager2) | second download | store files (direct) | write out folder (direct) | load |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
].join('\n');
console.log(section);
const docPath = join(import.meta.dirname, '../../docs/benchmarks.md');
const doc = readFileSync(docPath, 'utf8');
const block = `<!-- files:start -->\n${section}\n<!-- files:end -->`;
const re = /<!-- files:start -->[\s\S]*?<!-- files:end -->/;
writeFileSync(docPath, re.test(doc) ? doc.replace(re, block) : `${doc.trimEnd()}\n\n${block}\n`);
log(`written to ${docPath}`);
