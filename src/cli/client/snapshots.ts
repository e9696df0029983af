// The snapshots calls of the REST client (cfy snapshots), as the official 5.1 Python client makes them.
import type { RequestSpec } from './http.js';
import type { Requester } from './transport.js';
import type { Execution, ListParams, ListResponse } from './types.js';

const enc = encodeURIComponent;

export interface Snapshot {
  id: string;
  created_at?: string;
  status: string;
  error?: string | null;
  visibility?: string;
  tenant_name?: string;
  created_by?: string;
  [k: string]: unknown;
}

interface Caller {
  readonly transport: Requester;
  call<T>(spec: RequestSpec): Promise<T>;
  list<T>(path: string, p?: ListParams, extra?: Record<string, unknown>): Promise<ListResponse<T>>;
}

export interface RestoreFlags {
  recreateDeploymentsEnvs: boolean;
  force: boolean;
  restoreCertificates: boolean;
  noReboot: boolean;
  ignorePluginFailure: boolean;
}

export function snapshotsApi(c: Caller) {
  return {
    list: (p?: ListParams) => c.list<Snapshot>('/snapshots', p),
    get: (id: string) => c.call<Snapshot>({ method: 'GET', path: `/snapshots/${enc(id)}` }),
    create: (id: string, o: { credentials: boolean; logs: boolean; events: boolean; queue: boolean }) =>
      c.call<Execution>({
        method: 'PUT',
        path: `/snapshots/${enc(id)}`,
        json: {
          include_credentials: o.credentials,
          include_logs: o.logs,
          include_events: o.events,
          queue: o.queue,
        },
      }),
    restore: (id: string, f: RestoreFlags) =>
      c.call<Execution>({
        method: 'POST',
        path: `/snapshots/${enc(id)}/restore`,
        json: {
          recreate_deployments_envs: f.recreateDeploymentsEnvs,
          force: f.force,
          restore_certificates: f.restoreCertificates,
          no_reboot: f.noReboot,
          ignore_plugin_failure: f.ignorePluginFailure,
        },
      }),
    /** The archive, streamed (chunked) as the Python client does; or a URL the manager fetches. */
    upload: (id: string, source: { archive: Buffer } | { url: string }) =>
      c.call<Snapshot>(
        'url' in source
          ? {
              method: 'PUT',
              path: `/snapshots/${enc(id)}/archive`,
              query: { snapshot_archive_url: source.url },
            }
          : { method: 'PUT', path: `/snapshots/${enc(id)}/archive`, body: source.archive, chunked: true },
      ),
    download: async (id: string): Promise<Buffer> =>
      (await c.transport.request({ method: 'GET', path: `/snapshots/${enc(id)}/archive`, raw: true })).raw,
    delete: (id: string) => c.call<void>({ method: 'DELETE', path: `/snapshots/${enc(id)}` }),
    status: () => c.call<{ status: string }>({ method: 'GET', path: '/snapshot-status' }),
  };
}
