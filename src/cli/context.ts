// What every command action receives: the Output, the global flags, the profile store and a way to
// build the REST client from the active profile and the CLOUDIFY_* environment (cfy-cli.md A.2).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { CloudifyClient } from './client/index.js';
import type { Credentials, NodeTarget } from './client/http.js';
import { nodeOrder, Transport } from './client/transport.js';
import { CliError, usageError } from './errors.js';
import { EXIT } from './exit-codes.js';
import { type GlobalOptions, globalsOf } from './globals.js';
import { Output } from './output.js';
import { LOCAL_PROFILE, type ProfileContext, ProfileStore } from './profiles/store.js';

export const NOT_A_MANAGER =
  'This command is only available when using a manager. Please use the `cfy profiles use` command to connect to a Cloudify Manager.';

/** The one item that may come from the profile or from the environment, never both (HEAD's rule). */
function oneOf(
  label: string,
  envName: string,
  fromProfile: string | null,
  env: NodeJS.ProcessEnv,
  flag: string,
) {
  const fromEnv = env[envName] || undefined;
  if (fromEnv && fromProfile)
    throw usageError(
      `${label} is set in profile *and* in environment variables. Set only one.`,
      `unset ${envName}, or run \`cfy profiles unset ${flag}\``,
    );
  return fromEnv ?? fromProfile ?? undefined;
}

export class Ctx {
  readonly store: ProfileStore;

  constructor(
    readonly out: Output,
    readonly g: GlobalOptions,
    readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    this.store = ProfileStore.fromEnv(env);
  }

  static of(cmd: Command, env: NodeJS.ProcessEnv = process.env): Ctx {
    const g = globalsOf(cmd);
    return new Ctx(new Output({ json: g.json, verbose: g.verbose, quiet: g.quiet }), g, env);
  }

  /** The active manager profile; fails the way Cloudify does in local mode or with none. */
  profile(): ProfileContext {
    const name = this.store.activeName();
    if (!name || name === LOCAL_PROFILE) throw new CliError(NOT_A_MANAGER, { exitCode: EXIT.USAGE });
    const p = this.store.load(name);
    if (!p?.manager_ip)
      throw new CliError(`The active profile "${name}" does not exist`, {
        fix: 'run `cfy profiles list`, then `cfy profiles use <manager>`',
        exitCode: EXIT.USAGE,
      });
    return p;
  }

  credentials(p: ProfileContext, tenantOverride?: string): Credentials {
    const username = oneOf('Manager Username', 'CLOUDIFY_USERNAME', p.manager_username, this.env, '-u');
    const password = oneOf('Manager Password', 'CLOUDIFY_PASSWORD', p.manager_password, this.env, '-p');
    const tenant = oneOf('Manager Tenant', 'CLOUDIFY_TENANT', p.manager_tenant, this.env, '-t');
    const token = oneOf('Manager Token', 'CLOUDIFY_TOKEN', p.manager_token, this.env, '-T');
    if (token && (username || password))
      throw usageError(
        'Both a token and a username/password are set. Use only one authentication method.',
        'unset CLOUDIFY_TOKEN (or `cfy profiles unset -T`), or unset the username and password',
      );
    return { username, password, token, tenant: tenantOverride ?? tenant ?? 'default_tenant' };
  }

  /** The CA lookup order: LOCAL_REST_CERT_FILE, the profile's rest_certificate, public_rest_cert.crt. */
  caPath(p: ProfileContext): string | undefined {
    const fromEnv = this.env.LOCAL_REST_CERT_FILE || undefined;
    if (fromEnv && p.rest_certificate)
      throw usageError(
        'The REST certificate is set in the profile *and* in LOCAL_REST_CERT_FILE. Set only one.',
        'unset LOCAL_REST_CERT_FILE, or run `cfy profiles unset -c`',
      );
    if (fromEnv) return fromEnv;
    if (p.rest_certificate) return p.rest_certificate;
    const local = join(this.store.dir(p.name), 'public_rest_cert.crt');
    return existsSync(local) ? local : undefined;
  }

  get trustAll(): boolean {
    return Boolean(this.env.CLOUDIFY_SSL_TRUST_ALL);
  }

  /** A client for a profile (default: the active one); `save` persists the last-good node. */
  client(o: { profile?: ProfileContext; tenant?: string; save?: boolean } = {}): CloudifyClient {
    const p = o.profile ?? this.profile();
    const managers = p.cluster.manager ?? [];
    const defaults: Omit<NodeTarget, 'host'> = {
      port: p.rest_port,
      protocol: p.rest_protocol,
      cert: this.caPath(p),
      trustAll: this.trustAll,
    };
    const nodes = nodeOrder({
      managerIp: p.manager_ip!,
      defaults,
      managers,
      lastGood: p.last_good_manager ?? undefined,
      pinned: this.g.manager,
    });
    const transport = new Transport({
      nodes,
      creds: this.credentials(p, o.tenant),
      cluster: managers.length > 0 && !this.g.manager,
      onNodeFailed: (n, reason) =>
        this.out.debug(`Manager ${n.host}:${n.port} did not answer (${reason}); trying the next node`),
      onFailover: (n) => {
        this.out.debug(`Using manager ${n.host}:${n.port} from now on`);
        if (o.save === false) return;
        const fresh = this.store.load(p.name) ?? p;
        fresh.last_good_manager = n.name;
        // Cloudify's own stickiness: the answering node moves to the front of the cluster list.
        const list = fresh.cluster.manager ?? [];
        let i = list.findIndex((e) => e.hostname === n.name);
        if (i < 0)
          i = list.findIndex((e) => e.host_ip === n.host && (e.rest_port ?? fresh.rest_port) === n.port);
        if (i > 0) list.unshift(...list.splice(i, 1));
        this.store.save(fresh);
      },
    });
    return new CloudifyClient(transport);
  }

  /** The address of the node that answered the last request, for `[ip=…]` log suffixes. */
  static ipOf(client: CloudifyClient): string {
    return client.transport.current.host;
  }
}
