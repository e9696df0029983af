// The RabbitMQ bus's address: one URL naming every broker of the cluster, like the database URL,
//   amqps://user:password@10.0.0.21:5671,10.0.0.22:5671,10.0.0.23:5671/vhost?heartbeat=5
// (a port left out is 5671 for amqps, 5672 for amqp; IPv6 hosts in brackets; the vhost is
// percent-encoded, empty = "/"). The credentials end at the last "@", so a password with an unencoded
// "@" still parses and is still redacted. `redact` keeps the password out of every log line.

/** One broker of the cluster. */
export interface Member {
  host: string;
  port: number;
  /** `host:port` (`[v6]:port`), how logs and errors name the broker. */
  name: string;
}

export interface AmqpTarget {
  protocol: 'amqp' | 'amqps';
  username: string;
  password: string;
  vhost: string;
  members: Member[];
  /** Seconds between heartbeats (the URL's `heartbeat`, else `defaultHeartbeat`); 0 turns them off. */
  heartbeat: number;
  frameMax?: number;
  channelMax?: number;
}

const USAGE = 'expected amqp[s]://user:password@host1:port1,host2:port2/vhost';

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new Error(`Invalid RabbitMQ URL: the ${what} is not valid percent-encoding; ${USAGE}`);
  }
}

function parseMember(h: string, defaultPort: number): Member {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/.exec(h);
  const port = m?.[2] ? Number(m[2]) : defaultPort;
  if (!m || port < 1 || port > 65535) {
    throw new Error(`Invalid RabbitMQ broker "${h}" in the URL: ${USAGE}`);
  }
  return member(m[1]!.replace(/^\[|\]$/g, ''), port);
}

export function member(host: string, port: number): Member {
  return { host, port, name: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` };
}

function intParam(q: URLSearchParams, key: string): number | undefined {
  const v = q.get(key);
  if (v === null) return undefined;
  if (!/^\d+$/.test(v)) throw new Error(`Invalid RabbitMQ URL: ${key}=${v} is not a whole number`);
  return Number(v);
}

/** Parses the single- or multi-host URL; a bad one throws one line that says what is expected. */
export function parseAmqpUrl(url: string, defaultHeartbeat: number): AmqpTarget {
  const m = /^(amqps?):\/\/(.*)$/i.exec(url.trim());
  if (!m) throw new Error(`Invalid RabbitMQ URL "${redact(url)}": ${USAGE}`);
  const protocol = m[1]!.toLowerCase() as 'amqp' | 'amqps';
  let rest = m[2]!;
  let username = 'guest';
  let password = 'guest';
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const info = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = info.indexOf(':');
    username = decode(colon < 0 ? info : info.slice(0, colon), 'user name');
    password = colon < 0 ? '' : decode(info.slice(colon + 1), 'password');
  }
  const end = rest.search(/[/?]/);
  const hostList = end < 0 ? rest : rest.slice(0, end);
  const tail = end < 0 ? '' : rest.slice(end);
  const [path = '', query = ''] = tail.split('?', 2) as [string, string?];
  const defaultPort = protocol === 'amqps' ? 5671 : 5672;
  if (!hostList) throw new Error(`Invalid RabbitMQ URL "${redact(url)}": no broker host; ${USAGE}`);
  const members = hostList.split(',').map((h) => parseMember(h.trim(), defaultPort));
  const vhost = decode(path.replace(/^\//, ''), 'vhost') || '/';
  const q = new URLSearchParams(query);
  return {
    protocol,
    username,
    password,
    vhost,
    members,
    heartbeat: intParam(q, 'heartbeat') ?? defaultHeartbeat,
    frameMax: intParam(q, 'frameMax'),
    channelMax: intParam(q, 'channelMax'),
  };
}

/** The URL with its password replaced by `***` (single- and multi-host forms). */
export function redact(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)(.*)$/i.exec(url);
  if (!m) return url;
  const rest = m[2]!;
  const at = rest.lastIndexOf('@');
  if (at < 0) return url;
  const colon = rest.indexOf(':');
  if (colon < 0 || colon > at) return url;
  return `${m[1]}${rest.slice(0, colon)}:***${rest.slice(at)}`;
}
