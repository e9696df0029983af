// What `cfy_manager manager-db` and its actions share: the request read on stdin, the refusal (one
// message for the operator, no stack), and opening the database with that message on failure.
import type { Db } from '../store/port.js';
import { openServer, parseDbUrl } from '../store/server.js';

export interface RegisterRequest {
  action: 'register' | 'unregister' | 'add-networks' | 'reset-admin-password';
  /** add-networks: name → address. */
  newNetworks?: Record<string, string>;
  /** reset-admin-password. */
  newPassword?: string;
  /** postgres:// URLs: the superuser on the server database, and the cloudify user on cloudify_db. */
  superUrl: string;
  dbUrl: string;
  dbUser: string;
  dbPassword: string;
  dbName: string;
  hostname: string;
  privateIp: string;
  publicIp: string;
  networks: Record<string, string>;
  adminUsername: string;
  /** Empty on a first manager: one is generated. */
  adminPassword: string;
  /** The internal CA (PEM) this manager was given. */
  caCert: string;
  brokers: { name: string; host: string; port: number; networks: Record<string, string> }[];
  brokerCaCert: string;
  brokersExternal: boolean;
  dbNodes: { name: string; host: string; is_external: boolean }[];
}

/** A refusal the installer shows as it is. */
export class Refusal extends Error {}

export async function open(url: string, what: string): Promise<Db> {
  try {
    return await openServer({ ...parseDbUrl(url), maxConnections: 2, leaderWaitMs: 20_000 });
  } catch (err) {
    throw new Refusal(`Cannot connect to the database as ${what}: ${(err as Error).message}`);
  }
}
