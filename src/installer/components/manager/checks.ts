// Before anything on the host changes: can this node reach its database and its brokers, and do the
// brokers present certificates that rabbitmq.ca_path verifies? Each failure is one line naming the
// host, the port and the fix.
import { readFileSync } from 'node:fs';
import { connect } from 'node:tls';
import type { Config } from '../../config/schema.js';
import { NetworkError, ValidationError } from '../../errors.js';
import { portOpen } from '../../services/https.js';
import { type BrokerEntry, brokers, dbHosts } from './render.js';

export async function checkDatabaseReachable(config: Config, timeoutMs = 3000): Promise<void> {
  const hosts = dbHosts(config);
  const open = await Promise.all(hosts.map((h) => portOpen(h, 5432, timeoutMs)));
  if (open.some(Boolean)) return;
  const key =
    Object.keys(config.postgresql_server.cluster.nodes).length > 0
      ? 'postgresql_server.cluster.nodes'
      : 'postgresql_client.host';
  throw new NetworkError(
    `Cannot reach the database at ${hosts.map((h) => `${h}:5432`).join(', ')} (${key})`,
    {
      fix: `Start the database service there, or correct ${key} in config.yaml, then run the command again.`,
    },
  );
}

type TlsOutcome = 'ok' | 'unreachable' | { untrusted: string };

/** A TLS handshake with the broker, verifying its certificate against `ca`. */
function brokerTls(host: string, port: number, ca: Buffer, timeoutMs = 3000): Promise<TlsOutcome> {
  return new Promise((resolve) => {
    const s = connect({
      host,
      port,
      ca,
      servername: /^[\d.:]+$/.test(host) ? undefined : host,
      timeout: timeoutMs,
    });
    s.once('secureConnect', () => {
      s.destroy();
      resolve('ok');
    });
    s.once('timeout', () => {
      s.destroy();
      resolve('unreachable');
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      s.destroy();
      const tlsCodes = /CERT|SIGNATURE|ISSUER|SELF_SIGNED|ERR_TLS/;
      resolve(err.code && tlsCodes.test(err.code) ? { untrusted: err.code } : 'unreachable');
    });
  });
}

export async function checkBrokers(config: Config, timeoutMs = 3000): Promise<void> {
  const list: BrokerEntry[] = brokers(config);
  if (list.length === 0) {
    throw new ValidationError('rabbitmq.cluster_members is empty: a manager needs at least one broker', {
      fix: 'List the brokers under rabbitmq.cluster_members (name: {networks: {default: <ip>}}) in config.yaml.',
    });
  }
  const caPath = config.rabbitmq.ca_path;
  if (!caPath) {
    throw new ValidationError('rabbitmq.ca_path is not set: the manager verifies the brokers over TLS', {
      fix: "Set rabbitmq.ca_path to the CA that signed the brokers' certificates in config.yaml.",
    });
  }
  let ca: Buffer;
  try {
    ca = readFileSync(caPath);
  } catch (err) {
    throw new ValidationError(
      `Cannot read rabbitmq.ca_path ${caPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  const results = await Promise.all(list.map((b) => brokerTls(b.host, b.port, ca, timeoutMs)));
  const untrusted = list.findIndex((_, i) => typeof results[i] === 'object');
  if (untrusted >= 0) {
    const b = list[untrusted]!;
    throw new ValidationError(
      `The certificate of broker ${b.name} (${b.host}:${b.port}) is not signed by rabbitmq.ca_path ${caPath} (${(results[untrusted] as { untrusted: string }).untrusted})`,
      { fix: "Set rabbitmq.ca_path to the CA that signed the brokers' certificates." },
    );
  }
  if (results.every((r) => r === 'unreachable')) {
    throw new NetworkError(
      `Cannot reach any broker: ${list.map((b) => `${b.name} at ${b.host}:${b.port}`).join(', ')} (rabbitmq.cluster_members)`,
      {
        fix: 'Start the queue service there, or correct rabbitmq.cluster_members in config.yaml, then run the command again.',
      },
    );
  }
}
