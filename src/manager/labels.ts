// Labels of blueprints and deployments (rest-api.md §3.5), parsed once for every route: as the clients
// send them, [{k: v}], [{key, value}], {k: v} or "k=v,k2=v2"; keys lowercased and checked.
import { badParameters } from '../common/errors.js';

export interface Label {
  key: string;
  value: string;
}

const LABEL_KEY = /^[\w.:/-]{1,256}$/;

/** Labels as the client sends them: [{k: v}], [{key, value}], {k: v}, or "k=v,k2=v2". */
export function parseLabels(v: unknown): Label[] {
  if (v === undefined || v === null || v === '') return [];
  const out: Label[] = [];
  const add = (k: unknown, val: unknown) => {
    const key = String(k).trim().toLowerCase();
    const value = String(val ?? '').trim();
    if (!LABEL_KEY.test(key)) {
      throw badParameters(
        `Invalid label key "${String(k)}": use letters, digits and "-", "_", ".", ":", "/"`,
      );
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
    if (!value || value.length > 256 || /[\u0000-\u001f"]/.test(value)) {
      throw badParameters(`Invalid value for label "${key}": "${value}"`);
    }
    out.push({ key, value });
  };
  const fromString = (s: string) => {
    for (const pair of s.split(',').filter((p) => p.trim())) {
      const i = pair.indexOf('=');
      if (i <= 0) throw badParameters(`Labels must be given as key=value pairs, got "${pair}"`);
      add(pair.slice(0, i), pair.slice(i + 1));
    }
  };
  if (typeof v === 'string') fromString(v);
  else if (Array.isArray(v)) {
    for (const item of v) {
      if (typeof item === 'string') fromString(item);
      else if (item && typeof item === 'object') {
        const o = item as Record<string, unknown>;
        if ('key' in o && 'value' in o && Object.keys(o).length === 2) add(o.key, o.value);
        else for (const [k, val] of Object.entries(o)) add(k, val);
      } else throw badParameters(`Invalid label ${JSON.stringify(item)}`);
    }
  } else if (typeof v === 'object') {
    for (const [k, val] of Object.entries(v as Record<string, unknown>)) add(k, val);
  } else throw badParameters(`Invalid labels ${JSON.stringify(v)}`);
  return out;
}
