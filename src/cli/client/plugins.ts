// The plugins calls of the REST client (cfy plugins), as the official Python client makes them.
import type { RequestSpec } from './http.js';
import type { Requester } from './transport.js';
import type { ListParams, ListResponse, Plugin, Visibility } from './types.js';

const enc = encodeURIComponent;

/** What the plugins calls need of the client. */
interface Caller {
  readonly transport: Requester;
  call<T>(spec: RequestSpec): Promise<T>;
  list<T>(path: string, p?: ListParams, extra?: Record<string, unknown>): Promise<ListResponse<T>>;
}

export function pluginsApi(c: Caller) {
  return {
    list: (p?: ListParams, getData = false) =>
      c.list<Plugin>('/plugins', p, getData ? { _get_data: true } : {}),
    get: (id: string, getData = false) =>
      c.call<Plugin>({
        method: 'GET',
        path: `/plugins/${enc(id)}`,
        query: getData ? { _get_data: true } : {},
      }),
    /** The zip of wagon + YAML (+ icon), streamed as the Python client does. */
    upload: (archive: Buffer, o: { title?: string; visibility?: Visibility }) =>
      c.call<Plugin>({
        method: 'POST',
        path: '/plugins',
        query: { visibility: o.visibility ?? 'tenant', ...(o.title ? { title: o.title } : {}) },
        body: archive,
        chunked: true,
      }),
    download: async (id: string): Promise<Buffer> =>
      (await c.transport.request({ method: 'GET', path: `/plugins/${enc(id)}/archive`, raw: true })).raw,
    delete: (id: string, force = false) =>
      c.call<void>({ method: 'DELETE', path: `/plugins/${enc(id)}`, json: { force } }),
  };
}
