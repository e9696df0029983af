// Registering RabbitMQ brokers from the manager side (POST /brokers, PUT|DELETE /brokers/{name}).
// A new broker shares the cluster's credentials, params and CA with the brokers already registered (one
// RabbitMQ cluster); its name, address (also its management host), port and networks are its own.
import type { Db } from '../port.js';
import { selectList } from './list.js';
import { BROKERS } from './managers.js';

type BrokerView = Record<string, unknown> & { name: string };

export async function getBroker(db: Db, name: string): Promise<BrokerView | undefined> {
  const [row] = await db.query<BrokerView>(
    `SELECT ${selectList(BROKERS)} FROM ${BROKERS.from} WHERE t.name = $1`,
    [name],
  );
  return row;
}

interface NewBroker {
  name: string;
  host: string;
  port: number;
  networks: Record<string, string>;
}

/** Inserts the broker; false when a broker with that name exists already. */
export async function insertBroker(db: Db, b: NewBroker): Promise<boolean> {
  const rows = await db.query<{ name: string }>(
    `INSERT INTO rabbitmq_brokers (name, host, management_host, port, networks, username, password, params, is_external, _ca_cert_id)
     SELECT $1, $2, $2, $3, $4::text::jsonb, s.username, s.password, s.params, coalesce(s.is_external, false), s._ca_cert_id
     FROM (SELECT 1) one
     LEFT JOIN (SELECT * FROM rabbitmq_brokers ORDER BY name LIMIT 1) s ON true
     ON CONFLICT (name) DO NOTHING RETURNING name`,
    [b.name, b.host, b.port, JSON.stringify(b.networks)],
  );
  return rows.length === 1;
}

/** Adds networks to the broker's; false when there is no such broker. */
export async function addBrokerNetworks(
  db: Db,
  name: string,
  networks: Record<string, string>,
): Promise<boolean> {
  const rows = await db.query<{ name: string }>(
    `UPDATE rabbitmq_brokers SET networks = coalesce(networks, '{}'::jsonb) || $2::text::jsonb
     WHERE name = $1 RETURNING name`,
    [name, JSON.stringify(networks)],
  );
  return rows.length === 1;
}

/** Deletes the broker unless it is the last one. 'missing', 'last' or 'deleted'. */
export async function deleteBroker(db: Db, name: string): Promise<'missing' | 'last' | 'deleted'> {
  const rows = await db.query<{ name: string; others: number }>(
    `WITH others AS (SELECT count(*)::int AS n FROM rabbitmq_brokers WHERE name <> $1)
     DELETE FROM rabbitmq_brokers b USING others WHERE b.name = $1 AND others.n > 0
     RETURNING b.name, others.n AS others`,
    [name],
  );
  if (rows.length === 1) return 'deleted';
  return (await getBroker(db, name)) ? 'last' : 'missing';
}

/** Every registered broker's address and AMQP port, in name order: where the bus may connect. */
export function registeredBrokers(db: Db): Promise<{ host: string; port: number }[]> {
  return db.query<{ host: string; port: number }>('SELECT host, port FROM rabbitmq_brokers ORDER BY name');
}
