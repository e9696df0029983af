// The server setup as real processes, for the tests that kill or restart its parts: a PostgreSQL server
// with a database of its own, a RabbitMQ broker, `cfy_manager serve` and one `cfy_manager worker`,
// sharing a temp folder (the data dir, and a markers folder for the scripts). `stop()` ends what was
// started, in reverse order, and removes the folder; a start that fails part-way cleans up the same way.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openServer, parseDbUrl } from '../../src/store/server.js';
import { startBroker, type TestBroker } from '../bus/rabbit-broker.js';
import { startPostgres, type TestPostgres } from '../helpers/postgres.js';
import { type ManagerProc, type Proc, startManagerProcess, startWorkerProcess } from './processes.js';

export interface ServerSetup {
  /** The temp folder of this setup, removed by stop(). */
  dir: string;
  pg: TestPostgres;
  broker: TestBroker;
  dbUrl: string;
  /** The manager's data dir (its resources folder is the file server's). */
  dataDir: string;
  /** A folder the scripts of the wide fixture write their markers to. */
  markers: string;
  /** The flags that point a serve or worker process at this setup. */
  common: string[];
  rest: ManagerProc;
  worker: Proc;
  stop(): Promise<void>;
}

export async function startServerSetup(name: string): Promise<ServerSetup> {
  const dir = mkdtempSync(join(tmpdir(), `stratus-${name}-`));
  const markers = join(dir, 'markers');
  mkdirSync(markers);
  const undo: (() => Promise<void>)[] = [async () => rmSync(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const u of undo.splice(0).reverse()) await u().catch(() => {});
  };
  try {
    const pg = await startPostgres();
    undo.push(() => pg.stop());
    const admin = await openServer(parseDbUrl(pg.url));
    await admin.exec(`CREATE DATABASE stratus_${name.replace(/\W/g, '_')}`);
    await admin.close();
    const dbUrl = pg.url.replace(/\/postgres$/, `/stratus_${name.replace(/\W/g, '_')}`);
    const broker = await startBroker();
    undo.push(() => broker.stop());
    const dataDir = join(dir, 'mgr');
    const common = ['--data-dir', dataDir, '--db', dbUrl, '--amqp', broker.url];
    const rest = await startManagerProcess(common);
    undo.push(() => rest.kill());
    const worker = await startWorkerProcess(common);
    undo.push(() => worker.kill());
    return { dir, pg, broker, dbUrl, dataDir, markers, common, rest, worker, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
