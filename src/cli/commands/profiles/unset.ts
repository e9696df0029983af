// `cfy profiles unset`: clear fields of the active profile, then check what is left still works.
import type { Ctx } from '../../context.js';
import { usageError } from '../../errors.js';

interface UnsetOpts {
  managerUsername?: boolean;
  managerPassword?: boolean;
  managerTenant?: boolean;
  managerToken?: boolean;
  sshUser?: boolean;
  sshKey?: boolean;
  restCertificate?: boolean;
  kerberosEnv?: boolean;
  skipCredentialsValidation?: boolean;
}

export async function run(c: Ctx, o: UnsetOpts): Promise<void> {
  const p = c.profile();
  const { skipCredentialsValidation, ...fields } = o;
  if (!Object.values(fields).some(Boolean))
    throw usageError('You must choose at least one field to unset', 'run `cfy profiles unset --help`');
  if (o.managerUsername) p.manager_username = null;
  if (o.managerPassword) p.manager_password = null;
  if (o.managerTenant) p.manager_tenant = null;
  if (o.managerToken) p.manager_token = null;
  if (o.sshUser) p.ssh_user = null;
  if (o.sshKey) p.ssh_key = null;
  if (o.restCertificate) p.rest_certificate = null;
  if (o.kerberosEnv) p.kerberos_env = false;
  const creds = c.credentials(p);
  if (!skipCredentialsValidation && (creds.username || creds.token)) {
    await c.client({ profile: p, save: false }).manager.status();
    c.out.info('Credentials validated');
  }
  c.store.save(p);
  c.out.info('Settings saved successfully');
}
