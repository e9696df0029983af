// The finish message of §9.4 (printed to the terminal only, never to the log file), and
// `cfy_manager status`: each supervisord program of this node and its state.
import { existsSync, readdirSync } from 'node:fs';
import { has } from '../../config/derive.js';
import type { Config } from '../../config/schema.js';
import { SUPERVISORD_DIR } from '../../paths.js';
import * as supervisor from '../../services/supervisor.js';
import { formatTable } from '../../table.js';
import { MANAGER_SSL } from './render.js';

const RULE = '#'.repeat(50);

export function finishMessage(
  config: Config,
  externalCaExists = existsSync(MANAGER_SSL.externalCa),
): string[] {
  if (!has(config, 'manager_service')) return [];
  const m = config.manager;
  const ssl = m.security.ssl_enabled;
  const ip = m.public_ip || m.private_ip;
  const password = m.security.admin_password;
  let use = `cfy profiles use ${ip} -u admin -p ${password} -t default_tenant`;
  if (ssl) {
    const file = externalCaExists ? 'cloudify_external_ca_cert.pem' : 'cloudify_internal_ca_cert.pem';
    use += ` -ssl -c path/to/${file}`;
  }
  return [
    RULE,
    `Manager is up at ${ssl ? 'https' : 'http'}://${ip}`,
    `Admin password: ${password}`,
    RULE,
    'To connect to the manager, use:',
    use,
    RULE,
    'To install the default plugins bundle run:',
    "'cfy plugins bundle-upload'",
    RULE,
  ];
}

/** The programs cfy_manager wrote on this node (/etc/supervisord.d/<name>.cloudify.conf). */
function installedPrograms(dir = SUPERVISORD_DIR): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.cloudify.conf'))
    .map((f) => f.slice(0, -'.cloudify.conf'.length))
    .sort();
}

/** The status table; exit code 0 when every program runs, 1 otherwise (or when there is none). */
export async function statusTable(): Promise<{ text: string; code: number }> {
  const names = installedPrograms();
  if (names.length === 0) return { text: 'No Cloudify services are installed on this node.', code: 1 };
  const rows = [];
  for (const name of names) rows.push({ service: name, status: await supervisor.status(name) });
  return {
    text: formatTable(rows, ['service', 'status']),
    code: rows.every((r) => r.status === 'RUNNING') ? 0 : 1,
  };
}
