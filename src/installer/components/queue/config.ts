// The `rabbitmq` section of config.yaml as queue_service reads it (reference §2.2, §5.1), and the pure
// decisions made from it: nodename, erlang cookie, member addresses, policies. No I/O here.
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { ValidationError } from '../../errors.js';

export interface RabbitPolicy {
  name: string;
  expression: string;
  priority?: number;
  policy: Record<string, unknown>;
  vhost?: string;
  'apply-to'?: string;
  apply_to?: string;
}

export interface ClusterMember {
  networks?: Record<string, string>;
  address?: string;
}

export interface RabbitmqSection {
  username: string;
  password: string;
  cluster_members: Record<string, ClusterMember | null>;
  is_external?: boolean;
  ca_path?: string;
  ca_key_path?: string;
  cert_path?: string;
  key_path?: string;
  nodename?: string | null;
  use_long_name?: boolean;
  join_cluster?: string | null;
  erlang_cookie?: string | null;
  fd_limit?: number;
  policies?: RabbitPolicy[];
  use_hostnames_in_db?: boolean;
}

/** What queue_service needs from the whole config. */
export interface QueueConfig {
  rabbitmq: RabbitmqSection;
  manager?: { private_ip?: string; hostname?: string };
  services_to_install?: string[];
}

/**
 * The packaged policies (the same as config/defaults.yaml). Cloudify's defaults add `ha-mode: all`
 * (classic mirrored queues, removed in RabbitMQ 4) and a `^` default_policy that only carries ha-* keys;
 * we use quorum queues instead, so only the limits stay: TTL and max-length on the events and logs queues.
 */
export const DEFAULT_POLICIES: RabbitPolicy[] = [
  {
    name: 'logs_queue_message_policy',
    expression: '^cloudify-log$',
    priority: 100,
    policy: { 'message-ttl': 1200000, 'max-length': 1000000 },
  },
  {
    name: 'events_queue_message_policy',
    expression: '^cloudify-events$',
    priority: 100,
    policy: { 'message-ttl': 1200000, 'max-length': 1000000 },
  },
];

/** The client arguments a work queue is declared with (the queue type cannot be set by a policy in 3.10). */
export const QUORUM_QUEUE_ARGS = { 'x-queue-type': 'quorum' } as const;

export const RABBITMQ_SECTION_DEFAULTS: RabbitmqSection = {
  username: 'cloudify',
  password: 'c10udify',
  cluster_members: {},
  is_external: false,
  ca_path: '',
  ca_key_path: '',
  cert_path: '',
  key_path: '',
  nodename: null,
  use_long_name: false,
  join_cluster: null,
  erlang_cookie: null,
  fd_limit: 102400,
  policies: DEFAULT_POLICIES,
  use_hostnames_in_db: false,
};

export function isAllInOne(cfg: QueueConfig): boolean {
  const s = cfg.services_to_install ?? [];
  return ['database_service', 'queue_service', 'manager_service'].every((x) => s.includes(x));
}

/** §5.1 step 3: `rabbit@<short host>`; the host part keeps its domain only with use_long_name. */
export function rabbitNodename(r: Pick<RabbitmqSection, 'nodename' | 'use_long_name' | 'cluster_members'>) {
  let name = (r.nodename ?? '').trim();
  if (!name) {
    if (Object.keys(r.cluster_members ?? {}).length > 0) {
      throw new ValidationError('Rabbitmq nodename must be set for clustering.');
    }
    name = 'localhost';
  }
  const [prefix, host] = name.includes('@') ? (name.split('@', 2) as [string, string]) : ['rabbit', name];
  const h = r.use_long_name || isIP(host) ? host : host.split('.')[0]!;
  return `${prefix}@${h}`;
}

/** The host part of a node name: `rabbit@queue1` -> `queue1`. */
export const nodeHost = (node: string): string => (node.includes('@') ? node.split('@')[1]! : node);
/** Adds the `rabbit@` prefix when there is none. */
export const fullNodeName = (node: string): string => (node.includes('@') ? node : `rabbit@${node}`);

/** §5.1 step 2: the configured cookie, stripped; required for a cluster; otherwise 64 random alphanumerics. */
export function erlangCookie(r: Pick<RabbitmqSection, 'erlang_cookie' | 'cluster_members'>): string {
  const c = (r.erlang_cookie ?? '').toString().trim();
  if (c) return c;
  if (Object.keys(r.cluster_members ?? {}).length > 1) {
    throw new ValidationError('Cluster members are configured but erlang_cookie has not been set.');
  }
  return randomAlnum(64);
}

export function randomAlnum(n: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(n * 2);
  let out = '';
  for (let i = 0; out.length < n && i < bytes.length; i++) {
    if (bytes[i]! < 248) out += alphabet[bytes[i]! % 62]; // 248 = 4*62: no modulo bias
  }
  return out.length === n ? out : randomAlnum(n);
}

/** The management address of a member: its `networks.default`, else the name itself. */
export function memberAddress(r: Pick<RabbitmqSection, 'cluster_members'>, host: string): string | undefined {
  const m = r.cluster_members?.[host];
  return m?.networks?.default ?? m?.address ?? undefined;
}

/**
 * Policies as RabbitMQ definitions. The `ha-*` keys of Cloudify's classic mirrored queues are dropped
 * (RabbitMQ 4 removed them; our work queues are quorum queues); each drop is reported in `dropped`.
 */
export function policyDefinitions(policies: RabbitPolicy[]): {
  policies: {
    name: string;
    vhost: string;
    pattern: string;
    priority: number;
    'apply-to': string;
    definition: Record<string, unknown>;
  }[];
  dropped: string[];
} {
  const dropped: string[] = [];
  const out = [];
  for (const p of policies) {
    const definition: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(p.policy ?? {})) {
      if (k.startsWith('ha-')) dropped.push(`${p.name}: ${k}`);
      else definition[k] = v;
    }
    if (Object.keys(definition).length === 0) {
      dropped.push(`${p.name}: (whole policy, nothing left after removing ha-* keys)`);
      continue;
    }
    out.push({
      name: p.name,
      vhost: p.vhost ?? '/',
      pattern: p.expression,
      priority: p.priority ?? 1,
      'apply-to': p['apply-to'] ?? p.apply_to ?? 'queues',
      definition,
    });
  }
  return { policies: out, dropped };
}

/**
 * Checks made before anything changes on the host. `resolves` says whether a name resolves (DNS or
 * /etc/hosts); the caller looks names up first so this stays pure.
 */
export function validateQueueSection(r: RabbitmqSection, resolves: (name: string) => boolean): string[] {
  const errors: string[] = [];
  const members = Object.keys(r.cluster_members ?? {});
  if (!r.username) errors.push('rabbitmq.username must be set');
  if (!r.password) errors.push('rabbitmq.password must be set');
  if (members.length > 1 && !(r.erlang_cookie ?? '').toString().trim()) {
    errors.push('Cluster members are configured but erlang_cookie has not been set.');
  }
  if (members.length > 0 && !(r.nodename ?? '').trim()) {
    errors.push('Rabbitmq nodename must be set for clustering.');
  }
  if (members.length > 1 && !(r.cert_path && r.key_path && r.ca_path)) {
    errors.push(
      'Cannot generate self-signed certificates for a rabbitmq cluster- externally generated certificates must be provided as well as the appropriate CA certificate.',
    );
  }
  for (const m of members) {
    if (!resolves(m) && !memberAddress(r, m)) {
      errors.push(
        `IP not provided for unresolvable rabbit node ${m}. An IP address must be provided in rabbitmq.cluster_members.${m}.networks.default`,
      );
    }
  }
  const join = (r.join_cluster ?? '').trim();
  if (join) {
    const host = nodeHost(join);
    const self = r.nodename ? nodeHost(rabbitNodenameSafe(r)) : '';
    if (host === self) {
      errors.push(`rabbitmq.join_cluster names this node (${join}); the first broker has no join_cluster`);
    } else if (!members.includes(host) && !resolves(host)) {
      errors.push(
        `rabbitmq.join_cluster names "${join}", which is not one of rabbitmq.cluster_members (${members.join(', ') || 'none'}) and does not resolve. Set it to the host name of the first broker.`,
      );
    }
  }
  return errors;
}

function rabbitNodenameSafe(r: RabbitmqSection): string {
  try {
    return rabbitNodename(r);
  } catch {
    return '';
  }
}
