// etcdctl (API v3) against this node's etcd, as the etcd `root` user when auth is needed. Passwords go
// through the environment (ETCDCTL_USER) or stdin, never the command line.
import type { Config } from '../../config/schema.js';
import { run, type RunResult } from '../../exec.js';
import { ETCD_CA } from '../../paths.js';
import { ETCD_CLIENT_PORT, urlHost } from './cluster-files.js';

export type Etcdctl = (
  args: string[],
  opts?: { asRoot?: boolean; input?: string; endpoints?: string[] },
) => Promise<RunResult>;

export function etcdctl(config: Config, ownIp: string): Etcdctl {
  return (args, opts = {}) => {
    const endpoints = (opts.endpoints ?? [ownIp]).map((ip) => `https://${urlHost(ip)}:${ETCD_CLIENT_PORT}`);
    const env: NodeJS.ProcessEnv = { ETCDCTL_API: '3' };
    if (opts.asRoot) env.ETCDCTL_USER = `root:${config.postgresql_server.cluster.etcd.root_password}`;
    return run(
      [
        'etcdctl',
        `--endpoints=${endpoints.join(',')}`,
        `--cacert=${ETCD_CA}`,
        '--dial-timeout=2s',
        '--command-timeout=5s',
        ...args,
      ],
      { env, ignoreFailure: true, timeoutMs: 20_000, ...(opts.input ? { input: opts.input } : {}) },
    );
  };
}

export type AuthState = 'no-auth' | 'auth' | 'down';

/** Is etcd up and does it want credentials? An unauthenticated read answers both. */
export async function authState(ctl: Etcdctl, endpoints?: string[]): Promise<AuthState> {
  const r = await ctl(
    ['get', '/db/', '--prefix', '--keys-only', '--limit=1'],
    endpoints ? { endpoints } : {},
  );
  if (r.code === 0) return 'no-auth';
  if (/user name is empty|authentication|permission denied|invalid auth token/i.test(r.stderr)) return 'auth';
  return 'down';
}

export interface Member {
  id: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
}

export async function memberList(ctl: Etcdctl, endpoints?: string[]): Promise<Member[] | undefined> {
  const r = await ctl(['member', 'list'], { asRoot: true, ...(endpoints ? { endpoints } : {}) });
  if (r.code !== 0) return undefined;
  // `<hex id>, started, <name>, <peer urls>, <client urls>, <is learner>`
  return r.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const [id, , name, peers, clients] = l.split(', ');
      return {
        id: id ?? '',
        name: name ?? '',
        peerUrls: (peers ?? '').split(',').filter(Boolean),
        clientUrls: (clients ?? '').split(',').filter(Boolean),
      };
    });
}

/** The IP in a member's peer URL `https://<ip>:2380`. */
export function memberIp(m: Member): string | undefined {
  const u = m.peerUrls[0];
  const match = u ? /^https?:\/\/\[?([^\]]+?)\]?:\d+$/.exec(u) : null;
  return match?.[1];
}
