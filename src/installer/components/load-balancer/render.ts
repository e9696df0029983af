// load_balancer_service, the pure part: the checks of the load_balancer section and haproxy.cfg. The
// behaviour is that of the HAProxy example in Cloudify's cluster guide (health check `GET
// /api/v3.1/status` expecting 401 over TLS verified with the CA, `stick on src`, 80 redirected to 443,
// `on-marked-down shutdown-sessions`), plus the agents' port 53333, TLS re-encrypted to the managers.
import { isIP } from 'node:net';
import type { Config } from '../../config/schema.js';

export type LoadBalancerConfig = Config['load_balancer'];

/** Where HAProxy listens and what it reads; tests swap in loopback ports and a temp dir. */
export interface LbLayout {
  /** Listen address; '' means every address of the node. */
  bind: string;
  ports: { http: number; https: number; agents: number };
  /** The managers' ports: 443 (REST, health check) and 53333 (agents). */
  managerPorts: { https: number; agents: number };
  /** cert + key in one file. */
  certPem: string;
  caFile: string;
  /** The runtime API (`show stat`, `show table`), root only. */
  statsSocket: string;
  /** Workers drop to this user after binding (the master stays root to re-read the files on reload). */
  user?: string;
}

export const CONF_DIR = '/etc/haproxy/cloudify';
export const RUN_DIR = '/run/cloudify-haproxy';
export const LOG_DIR = '/var/log/cloudify/haproxy';

export const PRODUCTION_LAYOUT: LbLayout = {
  bind: '',
  ports: { http: 80, https: 443, agents: 53333 },
  managerPorts: { https: 443, agents: 53333 },
  certPem: `${CONF_DIR}/cert.pem`,
  caFile: `${CONF_DIR}/ca.crt`,
  statsSocket: `${RUN_DIR}/admin.sock`,
  user: 'haproxy',
};

const SERVER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const HOST_NAME =
  /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const WHERE = 'in /etc/cloudify/config.yaml';

/** Problems of the section, one line each, each with its fix. Empty: fine. */
export function sectionProblems(lb: LoadBalancerConfig): string[] {
  const problems: string[] = [];
  const managers = Object.entries(lb.managers);
  if (managers.length === 0) {
    problems.push(
      `load_balancer.managers names no managers: add each manager node as \`<name>: {ip: <address>}\` under load_balancer.managers ${WHERE}`,
    );
  }
  const seen = new Map<string, string>();
  for (const [name, m] of managers) {
    if (!SERVER_NAME.test(name)) {
      problems.push(
        `load_balancer.managers: '${name}' is not a usable name: use letters, digits, '.', '-' or '_' (e.g. manager1)`,
      );
    }
    const ip = m.ip.trim();
    if (!ip || (!isIP(ip) && !HOST_NAME.test(ip))) {
      problems.push(
        `load_balancer.managers.${name}.ip '${m.ip}' is not an address: set it to the manager's private IP`,
      );
    } else if (seen.has(ip)) {
      problems.push(
        `load_balancer.managers: ${seen.get(ip)} and ${name} have the same ip ${ip}: list each manager once`,
      );
    } else seen.set(ip, name);
  }
  for (const key of ['cert_path', 'key_path', 'ca_path'] as const) {
    if (!lb[key]) {
      problems.push(
        `load_balancer.${key} is not set: set it ${WHERE} (the certificate served on 443 and 53333, its key, and the CA that signed the managers' certificates)`,
      );
    }
  }
  return problems;
}

/** `host:port` as HAProxy reads it (IPv6 needs the ipv6@ prefix). */
export function address(host: string, port: number): string {
  return isIP(host) === 6 ? `ipv6@${host}:${port}` : `${host}:${port}`;
}

function bindLine(layout: LbLayout, port: number, tls: boolean): string {
  const where = layout.bind ? address(layout.bind, port) : `:${port}`;
  return `    bind ${where}${tls ? ` ssl crt ${layout.certPem}` : ''}`;
}

/** The global and defaults sections. */
function head(layout: LbLayout): string[] {
  return [
    '# Written by cfy_manager (load_balancer_service). Do not edit: the next configure rewrites it.',
    'global',
    '    log stdout format raw local0 info',
    '    maxconn 4096',
    `    stats socket ${layout.statsSocket} mode 600 level admin`,
    ...(layout.user ? [`    user ${layout.user}`, `    group ${layout.user}`] : []),
    '    tune.ssl.default-dh-param 2048',
    '    ssl-default-bind-options ssl-min-ver TLSv1.2',
    '    ssl-default-server-options ssl-min-ver TLSv1.2',
    '',
    'defaults',
    '    log global',
    '    mode http',
    '    option httplog',
    '    option dontlognull',
    // A request whose connection (TCP + TLS) to a manager fails or takes over 2 s is sent to another
    // manager at once, not only after the dead one is marked down (measured: docs/decisions.md).
    '    retries 2',
    '    option redispatch 1',
    '    timeout client 30m',
    '    timeout server 30m',
    '    timeout connect 2s',
    '    timeout check 2s',
    '    timeout http-request 30s',
    '',
  ];
}

function serverLines(lb: LoadBalancerConfig, layout: LbLayout, agents: boolean): string[] {
  const port = agents ? layout.managerPorts.agents : layout.managerPorts.https;
  return Object.entries(lb.managers).map(([name, m]) => {
    const tls = `ssl verify required ca-file ${layout.caFile}`;
    // The agents' servers follow the health of the same manager's REST server.
    const health = agents ? `track managers/${name}` : 'check check-ssl';
    return `    server ${name} ${address(m.ip.trim(), port)} maxconn 100 ${tls} ${health}`;
  });
}

export function renderHaproxyConfig(lb: LoadBalancerConfig, layout: LbLayout): string {
  const hc = lb.health_check;
  const defaultServer = `    default-server inter ${hc.interval_ms}ms fall ${hc.fall} rise ${hc.rise} on-marked-down shutdown-sessions`;
  const lines = [
    ...head(layout),
    'frontend http',
    bindLine(layout, layout.ports.http, false),
    '    http-request redirect scheme https code 308',
    '',
    'frontend rest',
    bindLine(layout, layout.ports.https, true),
    '    option forwardfor',
    '    http-request set-header X-Forwarded-Proto https',
    '    default_backend managers',
    '',
    'frontend agents',
    bindLine(layout, layout.ports.agents, true),
    '    option forwardfor',
    '    default_backend agents',
    '',
    'backend managers',
    '    stick-table type ip size 1m expire 1h',
    '    stick on src',
    '    option httpchk GET /api/v3.1/status',
    '    http-check expect status 401',
    defaultServer,
    ...serverLines(lb, layout, false),
    '',
    'backend agents',
    '    stick-table type ip size 1m expire 1h',
    '    stick on src',
    defaultServer,
    ...serverLines(lb, layout, true),
    '',
  ];
  return lines.join('\n');
}
