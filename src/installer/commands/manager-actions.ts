// The actions of `cfy_manager add-networks` and `reset-admin-password` (manager.ts), loaded when one runs.
// The database work runs in `cfy_manager manager-db`; passwords travel on its stdin.
import { existsSync, readFileSync } from 'node:fs';
import { certSans } from '../certs/x509.js';
import { manageDb } from '../components/manager/register.js';
import { MANAGER_SSL } from '../components/manager/render.js';
import { has } from '../config/derive.js';
import type { Config } from '../config/schema.js';
import { InputError, ValidationError } from '../errors.js';
import { mainLog, redact } from '../log.js';
import { requireConfigured } from '../state.js';
import type { CommonOpts } from './common.js';
import { configPathLabel, loadDerived } from './load-config.js';

export class NetworkValidationError extends ValidationError {}

/** The --networks JSON: an object of name → address, each address 1 to 253 characters. */
export function parseNetworks(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new InputError(`--networks is not JSON: ${(err as Error).message}`, {
      fix: `Give an object of name to address, e.g. --networks '{"lan2": "10.1.0.5"}'`,
    });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || Object.keys(parsed).length === 0) {
    throw new InputError('--networks must be a non-empty JSON object of name to address', {
      fix: `For example: --networks '{"lan2": "10.1.0.5"}'`,
    });
  }
  const out: Record<string, string> = {};
  for (const [name, addr] of Object.entries(parsed as Record<string, unknown>)) {
    const a = typeof addr === 'string' ? addr : '';
    if (a.length < 1 || a.length > 253) {
      throw new NetworkValidationError(
        `Error validating network ${name}. Network address length should be between 1 and 253 but was ${a.length}.`,
      );
    }
    out[name] = a;
  }
  return out;
}

function managerConfig(o: CommonOpts, cmd: string): Config {
  const config = loadDerived(o);
  if (!has(config, 'manager_service')) {
    throw new ValidationError(`cfy_manager ${cmd} runs on a manager: manager_service is not in this config`);
  }
  requireConfigured(config.services_to_install, configPathLabel(o), cmd.replaceAll('-', '_'));
  return config;
}

export type NetworksOpts = CommonOpts & { networks: string; skipGeneratingCertificates?: boolean };

export async function addNetworks(o: NetworksOpts) {
  const networks = parseNetworks(o.networks);
  const config = managerConfig(o, 'add-networks');
  await manageDb(config, 'add-networks', { newNetworks: networks }, MANAGER_SSL);
  if (existsSync(MANAGER_SSL.internalCert) && !o.skipGeneratingCertificates) {
    const sans = certSans(readFileSync(MANAGER_SSL.internalCert, 'utf8'));
    const missing = Object.values(networks).filter((a) => !sans.includes(a));
    if (missing.length > 0) {
      mainLog.warning(
        `The internal certificate does not cover ${missing.join(', ')}; agents using those networks will not verify it. Give ssl_inputs.internal_cert_path a certificate that does, then run cfy_manager configure.`,
      );
    }
  }
  mainLog.info(
    'New networks were added successfully. Please restart the following services: `cloudify-restservice`, `cloudify-mgmtworker`',
  );
}

async function readLine(): Promise<string> {
  // On a terminal stdin would wait for end of input with no prompt: say how to pass it instead.
  if (process.stdin.isTTY) return '';
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').split('\n')[0]!.trim();
}

export async function resetAdminPassword(password: string | undefined, o: CommonOpts) {
  const config = managerConfig(o, 'reset-admin-password');
  const pw = password ?? (await readLine());
  if (!pw) {
    throw new InputError('No new password given', {
      fix: 'Pass it on stdin (keeps it out of the process list): echo "$PW" | cfy_manager reset-admin-password',
    });
  }
  redact(pw);
  const out = await manageDb(config, 'reset-admin-password', { newPassword: pw }, MANAGER_SSL);
  const { username } = JSON.parse(out.trim().split('\n').pop()!) as { username: string };
  mainLog.info(`The password of ${username} was reset; its failed logins were cleared and it is active`);
}
