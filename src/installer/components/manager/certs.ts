// The manager's certificates (§6.3, §3.3): the supplied ssl_inputs are copied into /etc/cloudify/ssl
// (certs 0444, keys 0400, root-owned: the programs run as root). Every manager of a cluster must share
// the internal CA, so a manager node needs the internal cert, its key and the CA as inputs; the
// external cert defaults to the internal one (the guide: "same as internal_cert_path").
import { copyFile } from '../../certs/deploy.js';
import type { Config } from '../../config/schema.js';
import { checkCertTriple } from '../../config/validate.js';
import { ValidationError } from '../../errors.js';
import { MANAGER_SSL, pgCaSource } from './render.js';

const OWNER = 'root';

/** Before anything changes: the inputs are there, each key matches its cert and the CA signed it. */
export async function checkManagerCerts(config: Config): Promise<void> {
  requireCertInputs(config);
  const s = config.ssl_inputs;
  await checkCertTriple(s.internal_cert_path, s.internal_key_path, s.ca_cert_path);
  const ext = externalPair(config);
  await checkCertTriple(ext.cert, ext.key, s.external_ca_cert_path || undefined);
}

const externalPair = (config: Config) => ({
  cert: config.ssl_inputs.external_cert_path || config.ssl_inputs.internal_cert_path,
  key: config.ssl_inputs.external_key_path || config.ssl_inputs.internal_key_path,
});

function requireCertInputs(config: Config): void {
  const s = config.ssl_inputs;
  const missing = (['internal_cert_path', 'internal_key_path', 'ca_cert_path'] as const).filter((k) => !s[k]);
  if (missing.length > 0) {
    throw new ValidationError(
      `A manager needs ${missing.map((k) => `ssl_inputs.${k}`).join(', ')}: every manager of a cluster shares one internal CA`,
      {
        fix: 'Set them in config.yaml (e.g. from cfy_manager generate-test-cert) and run the command again.',
      },
    );
  }
  const c = config.postgresql_client;
  if (c.ssl_enabled && !pgCaSource(config)) {
    throw new ValidationError(
      'postgresql_client.ssl_enabled needs postgresql_server.ca_path or postgresql_client.ca_path',
      { fix: 'Set postgresql_server.ca_path to the CA that signed the database certificates.' },
    );
  }
  if (c.ssl_client_verification && !(s.postgresql_client_cert_path && s.postgresql_client_key_path)) {
    throw new ValidationError(
      'postgresql_client.ssl_client_verification needs ssl_inputs.postgresql_client_cert_path and postgresql_client_key_path',
      { fix: 'Set both in config.yaml.' },
    );
  }
}

/** Copies the supplied files into /etc/cloudify/ssl (checked by checkManagerCerts before). */
export async function deployManagerCerts(config: Config): Promise<void> {
  const s = config.ssl_inputs;
  const { cert: extCert, key: extKey } = externalPair(config);
  const cert = (src: string, dest: string) => copyFile({ src, dest, owner: OWNER, mode: 0o444 });
  const key = (src: string, dest: string) => copyFile({ src, dest, owner: OWNER, mode: 0o400 });
  await cert(s.internal_cert_path, MANAGER_SSL.internalCert);
  await key(s.internal_key_path, MANAGER_SSL.internalKey);
  await cert(s.ca_cert_path, MANAGER_SSL.ca);
  await cert(extCert, MANAGER_SSL.externalCert);
  await key(extKey, MANAGER_SSL.externalKey);
  if (s.external_ca_cert_path) await cert(s.external_ca_cert_path, MANAGER_SSL.externalCa);
  if (config.postgresql_client.ssl_enabled) await cert(pgCaSource(config), MANAGER_SSL.pgCa);
  if (s.postgresql_client_cert_path && s.postgresql_client_key_path) {
    await cert(s.postgresql_client_cert_path, MANAGER_SSL.pgCert);
    await key(s.postgresql_client_key_path, MANAGER_SSL.pgKey);
  }
  if (config.rabbitmq.ca_path) await cert(config.rabbitmq.ca_path, MANAGER_SSL.rabbitCa);
}
