// The sites calls of the REST client (cfy sites), as the official Python client makes them.
import type { RequestSpec } from './http.js';
import type { ListParams, ListResponse, Site, SiteChange } from './types.js';

const enc = encodeURIComponent;

/** What the sites calls need of the client. */
interface Caller {
  call<T>(spec: RequestSpec): Promise<T>;
  list<T>(path: string, p?: ListParams, extra?: Record<string, unknown>): Promise<ListResponse<T>>;
}

export function sitesApi(c: Caller) {
  return {
    list: (p?: ListParams) => c.list<Site>('/sites', p),
    get: (name: string) => c.call<Site>({ method: 'GET', path: `/sites/${enc(name)}` }),
    create: (name: string, json: SiteChange) =>
      c.call<Site>({ method: 'PUT', path: `/sites/${enc(name)}`, json }),
    update: (name: string, json: SiteChange) =>
      c.call<Site>({ method: 'POST', path: `/sites/${enc(name)}`, json }),
    delete: (name: string) => c.call<void>({ method: 'DELETE', path: `/sites/${enc(name)}` }),
  };
}
