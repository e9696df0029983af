import type { Column } from '../../output.js';
import type { ProfileContext } from '../../profiles/store.js';

export const PROFILE_COLUMNS: Column[] = [
  { key: 'name' },
  { key: 'manager_ip' },
  { key: 'manager_username' },
  { key: 'manager_tenant' },
  { key: 'ssh_user' },
  { key: 'ssh_key_path', get: (p: ProfileContext) => p.ssh_key },
  { key: 'ssh_port' },
  { key: 'kerberos_env' },
  { key: 'rest_port' },
  { key: 'rest_protocol' },
  { key: 'rest_certificate' },
];
