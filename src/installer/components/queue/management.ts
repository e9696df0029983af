// The RabbitMQ management API over TLS (15671), with basic auth and the broker CA.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { isIP } from 'node:net';
import { RabbitNodeListError } from '../../errors.js';
import { PORTS } from './files.js';

export interface MgmtTarget {
  host: string;
  port?: number;
  username: string;
  password: string;
  /** PEM of the CA that signed the broker certificates. */
  ca: string | Buffer;
  timeoutMs?: number;
}

export interface HttpReply {
  status: number;
  body: string;
}

export function mgmtRequest(
  t: MgmtTarget,
  method: string,
  path: string,
  body?: unknown,
  auth = true,
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: t.host,
        port: t.port ?? PORTS.management,
        method,
        path,
        ca: t.ca,
        servername: isIP(t.host) ? undefined : t.host,
        ...(auth ? { auth: `${t.username}:${t.password}` } : {}),
        headers: {
          accept: 'application/json',
          ...(data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {}),
        },
        timeout: t.timeoutMs ?? 10_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timed out after ${t.timeoutMs ?? 10_000} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}

export const readCa = (path: string): Buffer => readFileSync(path);

/** One entry of GET /api/nodes, reduced to what `brokers list` reads. */
export interface ApiNode {
  name: string;
  running?: boolean;
  [key: string]: unknown;
}

export interface NodeList {
  nodes: string[];
  running: string[];
  alarms: Record<string, string[]>;
  /** Some node reported badrpc or nodedown. */
  nameProblems: boolean;
}

/** §5.5: every key containing `alarm` whose value is true, plus badrpc/nodedown when true. */
export function parseNodes(apiNodes: ApiNode[]): NodeList {
  const alarms: Record<string, string[]> = {};
  let nameProblems = false;
  for (const n of apiNodes) {
    const a: string[] = [];
    for (const [k, v] of Object.entries(n)) {
      if (k.includes('alarm') && v === true) a.push(k);
    }
    for (const k of ['badrpc', 'nodedown']) {
      if (n[k] === true) {
        a.push(k);
        nameProblems = true;
      }
    }
    alarms[n.name] = a;
  }
  return {
    nodes: apiNodes.map((n) => n.name),
    running: apiNodes.filter((n) => n.running === true).map((n) => n.name),
    alarms,
    nameProblems,
  };
}

/**
 * GET /api/nodes. Resolves undefined when the API cannot be reached (the caller reports the cluster as
 * undetermined); throws RabbitNodeListError when it answers with an error.
 */
export async function listRabbitNodes(t: MgmtTarget): Promise<NodeList | undefined> {
  let reply: HttpReply;
  try {
    reply = await mgmtRequest(t, 'GET', '/api/nodes');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body);
  } catch {
    throw new RabbitNodeListError(`Error trying to list nodes. Response was: ${reply.body}`);
  }
  if (!Array.isArray(parsed)) {
    throw new RabbitNodeListError(`Error trying to list nodes. Response was: ${reply.body}`);
  }
  return parseNodes(parsed as ApiNode[]);
}
