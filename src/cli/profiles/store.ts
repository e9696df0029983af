// Profiles on disk (cfy-cli.md A.2): <root>/active.profile names the active profile, and
// <root>/profiles/<name>/context.json holds it (pretty JSON, sorted keys). Old 5.1 profiles stored a
// YAML `context` file (a tagged Python object with `_`-prefixed private keys); those still read.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import YAML from 'yaml';
import { CliError } from '../errors.js';
import type { ManagerEntry } from '../client/transport.js';

export type NodeType = 'manager' | 'broker' | 'db';

export interface ClusterEntry extends ManagerEntry {
  hostname: string;
  host_ip: string;
  host_type: NodeType;
  ssh_user?: string;
  ssh_key?: string;
  ssh_port?: number;
}

export interface ProfileContext {
  name: string;
  manager_ip: string | null;
  ssh_key: string | null;
  ssh_port: number;
  ssh_user: string | null;
  provider_context: Record<string, unknown>;
  manager_username: string | null;
  manager_password: string | null;
  manager_token: string | null;
  manager_tenant: string | null;
  rest_port: number;
  rest_protocol: 'http' | 'https';
  rest_certificate: string | null;
  kerberos_env: boolean;
  cluster: Partial<Record<NodeType, ClusterEntry[]>>;
  /**
   * Stratus addition: the hostname or address of the cluster node that answered last. It is tried
   * before `manager_ip`, so a dead `manager_ip` costs the connect timeout once, not on every command.
   */
  last_good_manager?: string | null;
}

export const LOCAL_PROFILE = 'local';

export function newProfile(name: string, managerIp: string | null): ProfileContext {
  return {
    name,
    manager_ip: managerIp,
    ssh_key: null,
    ssh_port: 22,
    ssh_user: null,
    provider_context: {},
    manager_username: null,
    manager_password: null,
    manager_token: null,
    manager_tenant: null,
    rest_port: 80,
    rest_protocol: 'http',
    rest_certificate: null,
    kerberos_env: false,
    cluster: {},
  };
}

/** `~/.cloudify`, or `$CFY_WORKDIR/.cloudify`: CFY_WORKDIR replaces the home directory. */
export function cloudifyRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.CFY_WORKDIR || homedir(), '.cloudify');
}

const sortKeys = (v: unknown): unknown =>
  Array.isArray(v)
    ? v.map(sortKeys)
    : v && typeof v === 'object'
      ? Object.fromEntries(
          Object.keys(v as object)
            .sort()
            .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
        )
      : v;

/** Read a 5.1 YAML context: keys lose their leading `_`, `profile_name` becomes `name`. */
export function parseLegacyContext(text: string, fallbackName: string): ProfileContext {
  const tagged = (tag: string) => ({
    tag,
    collection: 'map' as const,
    resolve: (v: unknown) => v,
  });
  const doc = YAML.parse(text, {
    customTags: [
      tagged('!CloudifyProfileContext'),
      tagged('tag:yaml.org,2002:python/object:cloudify_cli.env.ProfileContext'),
    ],
    logLevel: 'error',
  }) as unknown;
  const raw = (doc && typeof doc === 'object' ? doc : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw instanceof Map ? Object.fromEntries(raw) : raw)) {
    const key = k.replace(/^_+/, '');
    out[key === 'profile_name' ? 'name' : key] = v;
  }
  return normalise(out, fallbackName);
}

function normalise(raw: Record<string, unknown>, name: string): ProfileContext {
  const p = { ...newProfile(name, null), ...raw } as ProfileContext;
  p.name = (raw.name as string) || name;
  // An old-style list-valued cluster means nothing today.
  if (!p.cluster || Array.isArray(p.cluster) || typeof p.cluster !== 'object') p.cluster = {};
  p.rest_port = Number(p.rest_port) || (p.rest_protocol === 'https' ? 443 : 80);
  p.ssh_port = Number(p.ssh_port) || 22;
  return p;
}

export class ProfileStore {
  constructor(readonly root: string) {}

  static fromEnv(env: NodeJS.ProcessEnv = process.env): ProfileStore {
    return new ProfileStore(cloudifyRoot(env));
  }

  get profilesDir(): string {
    return join(this.root, 'profiles');
  }

  dir(name: string): string {
    return join(this.profilesDir, name);
  }

  activeName(): string | undefined {
    const f = join(this.root, 'active.profile');
    if (!existsSync(f)) return undefined;
    const name = readFileSync(f, 'utf8').trim();
    return name || undefined;
  }

  setActive(name: string): void {
    mkdirSync(this.root, { recursive: true });
    writeFileSync(join(this.root, 'active.profile'), name);
  }

  exists(name: string): boolean {
    return existsSync(join(this.dir(name), 'context.json')) || existsSync(join(this.dir(name), 'context'));
  }

  names(): string[] {
    if (!existsSync(this.profilesDir)) return [];
    return readdirSync(this.profilesDir, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('.') && this.exists(d.name))
      .map((d) => d.name)
      .sort();
  }

  load(name: string): ProfileContext | undefined {
    const json = join(this.dir(name), 'context.json');
    const yaml = join(this.dir(name), 'context');
    try {
      if (existsSync(json)) return normalise(JSON.parse(readFileSync(json, 'utf8')), name);
      if (existsSync(yaml)) return parseLegacyContext(readFileSync(yaml, 'utf8'), name);
    } catch (e) {
      throw new CliError(`Profile "${name}" could not be read: ${(e as Error).message}`, {
        fix: `fix or delete ${this.dir(name)}`,
      });
    }
    return undefined;
  }

  save(p: ProfileContext): void {
    const dir = this.dir(p.name);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, 'context.json');
    writeFileSync(file, `${JSON.stringify(sortKeys(p), null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
  }

  delete(name: string): void {
    rmSync(this.dir(name), { recursive: true, force: true });
    if (this.activeName() === name) rmSync(join(this.root, 'active.profile'), { force: true });
  }
}
