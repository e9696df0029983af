// `cfy profiles use MANAGER_IP` (cfy-cli.md A.3): activate an existing profile, or check the manager,
// save a new profile and, on a cluster, fill its node list.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { CloudifyClientError } from '../../client/errors.js';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';
import { LOCAL_PROFILE, newProfile, type ProfileContext } from '../../profiles/store.js';
import { applyClusterNodes, fetchClusterNodes, isAllInOne } from '../cluster/refresh.js';

export interface UseOpts {
  profileName?: string;
  sshUser?: string;
  sshKey?: string;
  sshPort?: string;
  managerUsername?: string;
  managerPassword?: string;
  managerTenant?: string;
  managerToken?: string;
  restPort?: number;
  ssl?: boolean;
  restCertificate?: string;
  kerberosEnv?: boolean;
  skipCredentialsValidation?: boolean;
}

export async function run(c: Ctx, o: UseOpts, managerIp: string): Promise<void> {
  if (managerIp === LOCAL_PROFILE) {
    c.store.setActive(LOCAL_PROFILE);
    c.out.info('Using local environment...');
    return;
  }
  const name = o.profileName ?? managerIp;
  if (c.store.exists(name)) {
    c.store.setActive(name);
    const given = Object.entries(o).filter(([k, v]) => k !== 'profileName' && v !== undefined);
    if (given.length)
      c.out.warn(
        `Profile ${name} already exists. The passed in options are ignored: ${given.map(([k]) => k).join(', ')}. To change the profile, use \`cfy profiles set\`.`,
      );
    c.out.info(`Using manager ${managerIp}`);
    return;
  }
  const ssl = Boolean(o.ssl || o.restCertificate);
  const p: ProfileContext = newProfile(name, managerIp);
  p.rest_protocol = ssl ? 'https' : 'http';
  p.rest_port = o.restPort ?? (ssl ? 443 : 80);
  p.manager_username = o.managerUsername ?? null;
  p.manager_password = o.managerPassword ?? null;
  p.manager_tenant = o.managerTenant ?? null;
  p.manager_token = o.managerToken ?? null;
  p.ssh_user = o.sshUser ?? null;
  p.ssh_key = o.sshKey ? resolve(o.sshKey) : null;
  if (o.sshPort) p.ssh_port = Number(o.sshPort);
  p.kerberos_env = Boolean(o.kerberosEnv);
  if (o.restCertificate) {
    const ca = resolve(o.restCertificate);
    if (!existsSync(ca))
      throw usageError(`The REST certificate ${ca} does not exist`, 'give the path of the CA file');
    p.rest_certificate = ca;
  }
  c.out.info(
    `Attempting to connect to ${managerIp} through port ${p.rest_port}, using ${p.rest_protocol} (SSL mode: ${ssl ? 'True' : 'False'})...`,
  );
  const client = c.client({ profile: p, save: false });
  const creds = c.credentials(p);
  if (!o.skipCredentialsValidation) {
    await client.manager.status();
    try {
      const ctx = await client.call<{ context?: Record<string, unknown> }>({
        method: 'GET',
        path: '/provider/context',
      });
      p.provider_context = ctx?.context ?? {};
    } catch (e) {
      if (!(e instanceof CloudifyClientError && e.status === 404)) throw e;
    }
  }
  c.out.info(`Using manager ${managerIp} with port ${p.rest_port}`);
  c.out.info(`Initializing profile ${name}...`);
  if (!o.skipCredentialsValidation && (creds.username || creds.token)) {
    try {
      const nodes = await fetchClusterNodes(client);
      if (!nodes)
        c.out.warn('The manager does not list its cluster nodes (/managers): it may be of an older version.');
      else if (!isAllInOne(nodes)) {
        const n = applyClusterNodes(p, nodes);
        c.out.info(`Profile is up to date with ${n} nodes`);
      }
    } catch (e) {
      // The profile works without the node list; `cfy cluster update-profile` can fill it later.
      c.out.warn(`Could not read the cluster nodes, the profile has none: ${(e as Error).message}`);
    }
  }
  c.store.save(p);
  c.store.setActive(name);
  c.out.info('Initialization completed successfully');
}
