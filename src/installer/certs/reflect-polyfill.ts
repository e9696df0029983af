// @peculiar/x509 uses tsyringe, which refuses to load without a Reflect metadata API. This is the small
// subset tsyringe calls (getMetadata, defineMetadata and friends), so no extra dependency is needed.
// Imported for its side effect before @peculiar/x509.
type Target = object;
const store = new WeakMap<Target, Map<string | symbol | undefined, Map<unknown, unknown>>>();

function own(target: Target, prop: string | symbol | undefined, create: boolean) {
  let byProp = store.get(target);
  if (!byProp) {
    if (!create) return undefined;
    byProp = new Map();
    store.set(target, byProp);
  }
  let m = byProp.get(prop);
  if (!m && create) {
    m = new Map();
    byProp.set(prop, m);
  }
  return m;
}

const R = Reflect as unknown as Record<string, unknown>;
if (typeof R.getMetadata !== 'function') {
  const getOwnMetadata = (k: unknown, t: Target, p?: string | symbol) => own(t, p, false)?.get(k);
  const getMetadata = (k: unknown, t: Target, p?: string | symbol): unknown => {
    for (let cur: Target | null = t; cur; cur = Object.getPrototypeOf(cur)) {
      const m = own(cur, p, false);
      if (m?.has(k)) return m.get(k);
    }
    return undefined;
  };
  const defineMetadata = (k: unknown, v: unknown, t: Target, p?: string | symbol) => {
    own(t, p, true)!.set(k, v);
  };
  Object.assign(R, {
    getOwnMetadata,
    getMetadata,
    defineMetadata,
    hasOwnMetadata: (k: unknown, t: Target, p?: string | symbol) => own(t, p, false)?.has(k) ?? false,
    hasMetadata: (k: unknown, t: Target, p?: string | symbol) => getMetadata(k, t, p) !== undefined,
    metadata: (k: unknown, v: unknown) => (t: Target, p?: string | symbol) => defineMetadata(k, v, t, p),
  });
}
export {};
