// Derived values (reference §2.3), computed in memory after loading; config.yaml is never rewritten
// except to drop postgresql_client.server_password after an install (see commands/lifecycle.ts).
import { hostname as osHostname } from 'node:os';
import type { Config, ServiceName } from './schema.js';

export const has = (config: Config, s: ServiceName): boolean => config.services_to_install.includes(s);

export function isDbCluster(config: Config): boolean {
  return Object.keys(config.postgresql_server.cluster.nodes).length > 0;
}

export function deriveConfig(config: Config): Config {
  const manager = has(config, 'manager_service');
  const db = has(config, 'database_service');
  // Forced settings: a DB node without a manager, or a manager without a DB, talks to the other over TLS.
  if (manager !== db) {
    config.postgresql_server.ssl_enabled = true;
    config.postgresql_server.enable_remote_connections = true;
    config.postgresql_client.ssl_enabled = true;
  }
  const m = config.manager as Config['manager'] & Record<string, unknown>;
  const host = m.private_ip.includes(':') ? `[${m.private_ip}]` : m.private_ip;
  m.file_server_root = '/opt/manager/resources';
  m.file_server_url = `https://${host}:${m.internal_rest_port}/resources`;
  if (m.private_ip) config.networks.default ??= m.private_ip;
  if (m.public_ip) config.networks.external ??= m.public_ip;
  const ssl = m.security.ssl_enabled;
  m.external_rest_port = config.nginx.port ?? (ssl ? 443 : 80);
  m.external_rest_protocol = ssl ? 'https' : 'http';
  if (!m.hostname) m.hostname = osHostname();
  return config;
}
