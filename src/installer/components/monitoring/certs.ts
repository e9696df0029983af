// The monitoring certificate (cfy_manager.md §7.2, §3.3) and the checks made before anything changes.
// Supplied prometheus.cert_path/key_path/ca_path are copied to monitoring_{cert,key,ca_cert}.pem (key
// 0400, owned by the user Prometheus runs as); without them a certificate is generated, and only on an
// all-in-one manager (CN = hostname, SAN = private IP, signed by the internal CA when its key is given).
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deployTriple, lookupIds } from '../../certs/deploy.js';
import { certSans, generateCa, generateLeaf, type KeyAndCert, keyMatchesCert } from '../../certs/x509.js';
import { isDbCluster } from '../../config/derive.js';
import type { Config } from '../../config/schema.js';
import { checkCertTriple } from '../../config/validate.js';
import { ValidationError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { isAllInOne, type MonLayout, monitoringPassword } from './settings.js';

export const CLUSTER_CERTS_MESSAGE =
  'Cannot generate self-signed certificates for Prometheus in a cluster - externally generated certificates must be provided as well as the appropriate CA certificate.';

const SSLMODES = ['disable', 'require', 'verify-ca', 'verify-full'];
const DURATION = /^(\d+(ms|s|m|h|d|w|y))+$/;

/** Everything monitoring_service checks before the host changes. */
export async function validateMonitoring(config: Config): Promise<void> {
  const p = config.prometheus;
  const given = [p.cert_path, p.key_path, p.ca_path].filter(Boolean).length;
  if (given < 3 && !isAllInOne(config)) throw new ValidationError(CLUSTER_CERTS_MESSAGE);
  if (given > 0 && given < 3) {
    throw new ValidationError(
      'prometheus.cert_path, key_path and ca_path go together: set all three, or none to have a certificate generated on this all-in-one manager',
    );
  }
  if (given === 3) {
    await checkCertTriple(p.cert_path, p.key_path, p.ca_path);
    const ip = config.manager.private_ip;
    if (ip && !certSans(readFileSync(p.cert_path, 'utf8')).includes(ip)) {
      throw new ValidationError(
        `The Prometheus certificate ${p.cert_path} does not cover this node's private IP ${ip}: the managers reach https://${ip}:8009 and verify it. Issue it with ${ip} as a subject alternative name.`,
      );
    }
  }
  if (!DURATION.test(p.scrape_interval) || /^(0+(ms|s|m|h|d|w|y))+$/.test(p.scrape_interval)) {
    throw new ValidationError(
      `prometheus.scrape_interval "${p.scrape_interval}" is not a Prometheus duration: use e.g. 15s or 500ms`,
    );
  }
  const sslmode = p.postgres_exporter.sslmode;
  if (!SSLMODES.includes(sslmode)) {
    throw new ValidationError(
      `prometheus.postgres_exporter.sslmode "${sslmode}" is not one of ${SSLMODES.join(', ')}: set one of them`,
    );
  }
  const db = config.services_to_install.includes('database_service');
  if (db && /\s/.test(monitoringPassword(config))) {
    throw new ValidationError(
      'The database monitoring password (prometheus.postgres_exporter.password, else postgresql_server.db_monitoring.password) contains whitespace, which postgres_exporter cannot parse in its connection string: choose one without spaces',
    );
  }
  if (db && isDbCluster(config) && sslmode === 'disable') {
    throw new ValidationError(
      'prometheus.postgres_exporter.sslmode is disable, but the PostgreSQL cluster accepts TLS connections only: set it to require, verify-ca or verify-full',
    );
  }
}

function writeFile(path: string, text: string, mode: number, ids: { uid: number; gid: number }): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  chownSync(path, ids.uid, ids.gid);
}

/** The generated certificate is kept while it still matches its key and covers the private IP. */
function generatedStillGood(layout: MonLayout, ip: string): boolean {
  if (![layout.cert, layout.key, layout.ca].every((f) => existsSync(f))) return false;
  try {
    const cert = readFileSync(layout.cert, 'utf8');
    return keyMatchesCert(cert, readFileSync(layout.key, 'utf8')) && certSans(cert).includes(ip);
  } catch {
    return false;
  }
}

/** The internal CA when its key is given (unencrypted); else our own monitoring CA (`own`: its key is kept). */
async function signingCa(
  config: Config,
  layout: MonLayout,
  log: Logger,
): Promise<{ ca: KeyAndCert; own: boolean }> {
  const s = config.ssl_inputs;
  const read = (f: string) => readFileSync(f, 'utf8');
  if (s.ca_cert_path && s.ca_key_path && !s.ca_key_password) {
    log.info('Signing the monitoring certificate with the internal CA');
    return { ca: { certPem: read(s.ca_cert_path), keyPem: read(s.ca_key_path) }, own: false };
  }
  if (existsSync(layout.ca) && existsSync(layout.caKey)) {
    return { ca: { certPem: read(layout.ca), keyPem: read(layout.caKey) }, own: true };
  }
  log.info(`Generating a monitoring CA (${layout.ca})`);
  return { ca: await generateCa(), own: true };
}

/** Copies the supplied certificate, or generates one (validateMonitoring allowed it: all-in-one). */
export async function deployMonitoringCerts(
  config: Config,
  layout: MonLayout,
  owner: string,
  log: Logger,
): Promise<void> {
  const p = config.prometheus;
  if (p.cert_path && p.key_path && p.ca_path) {
    await deployTriple(
      { cert: p.cert_path, key: p.key_path, ca: p.ca_path },
      { cert: layout.cert, key: layout.key, ca: layout.ca },
      owner,
    );
    log.info('Deployed the supplied Prometheus certificate');
    return;
  }
  const ip = config.manager.private_ip;
  if (generatedStillGood(layout, ip)) return;
  const ids = await lookupIds(owner);
  const { ca, own } = await signingCa(config, layout, log);
  const leaf = await generateLeaf(config.manager.hostname || ip, [ip], ca);
  const root = { uid: 0, gid: 0 };
  writeFile(layout.ca, ca.certPem, 0o444, root);
  if (own) writeFile(layout.caKey, ca.keyPem, 0o400, root);
  writeFile(layout.cert, leaf.certPem, 0o444, ids);
  writeFile(layout.key, leaf.keyPem, 0o400, ids);
  log.info(`Generated the Prometheus certificate for ${ip}`);
}
