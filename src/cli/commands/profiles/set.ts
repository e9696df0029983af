// `cfy profiles set`: change the active profile; new credentials are checked against the manager.
import { existsSync, renameSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';
import type { UseOpts } from './use.js';

interface SetOpts extends Omit<UseOpts, 'ssl'> {
  managerIp?: string;
  ssl?: 'on' | 'off';
}

export async function run(c: Ctx, o: SetOpts): Promise<void> {
  const p = c.profile();
  const oldName = p.name;
  if (Object.values(o).every((v) => v === undefined))
    throw usageError('You must supply at least one of the options', 'run `cfy profiles set --help`');
  if (o.managerUsername !== undefined) p.manager_username = o.managerUsername;
  if (o.managerPassword !== undefined) p.manager_password = o.managerPassword;
  if (o.managerTenant !== undefined) p.manager_tenant = o.managerTenant;
  if (o.managerToken !== undefined) p.manager_token = o.managerToken;
  if (o.managerIp !== undefined) p.manager_ip = o.managerIp;
  if (o.sshUser !== undefined) p.ssh_user = o.sshUser;
  if (o.sshKey !== undefined) p.ssh_key = resolve(o.sshKey);
  if (o.sshPort !== undefined) p.ssh_port = Number(o.sshPort);
  if (o.kerberosEnv !== undefined) p.kerberos_env = true;
  if (o.restCertificate !== undefined) {
    const ca = resolve(o.restCertificate);
    if (!existsSync(ca))
      throw usageError(`The REST certificate ${ca} does not exist`, 'give the path of the CA file');
    p.rest_certificate = ca;
  }
  if (o.ssl !== undefined) {
    const on = o.ssl === 'on';
    p.rest_protocol = on ? 'https' : 'http';
    p.rest_port = on ? 443 : 80;
    for (const node of p.cluster.manager ?? []) {
      node.rest_protocol = p.rest_protocol;
      node.rest_port = p.rest_port;
      if (on && !node.cert)
        c.out.warn(`The cluster node ${node.hostname} has no certificate set (cfy profiles set-cluster -c)`);
    }
    c.out.info(`Enabling SSL: ${on ? 'on' : 'off'}`);
  }
  if (o.restPort !== undefined) p.rest_port = o.restPort;
  const credsChanged = [
    o.managerUsername,
    o.managerPassword,
    o.managerTenant,
    o.managerToken,
    o.managerIp,
  ].some((v) => v !== undefined);
  if (credsChanged && !o.skipCredentialsValidation) {
    c.out.info('Validating credentials...');
    await c.client({ profile: p, save: false }).manager.status();
    c.out.info('Credentials validated');
  }
  if (o.profileName && o.profileName !== oldName) {
    if (c.store.exists(o.profileName)) throw usageError(`Profile ${o.profileName} already exists`);
    renameSync(c.store.dir(oldName), c.store.dir(o.profileName));
    p.name = o.profileName;
    c.store.setActive(p.name);
  }
  c.store.save(p);
  c.out.info('Settings saved successfully');
}
