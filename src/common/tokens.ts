// API tokens `ctok-<id>-<secret>` (10-char id, 40-char secret); only sha256(secret) is stored.
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

export function randomString(n: number): string {
  const bytes = randomBytes(n * 2);
  let out = '';
  for (let i = 0; out.length < n; i++) {
    const b = bytes[i % bytes.length];
    if (b < 248) out += ALPHABET[b % 62]; // 248 = 4 × 62: keeps the distribution uniform
    if (i >= bytes.length - 1 && out.length < n) return out + randomString(n - out.length);
  }
  return out;
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

export function newToken(): { id: string; secret: string; value: string } {
  const id = randomString(10);
  const secret = randomString(40);
  return { id, secret, value: `ctok-${id}-${secret}` };
}

export function parseToken(value: string): { id: string; secret: string } | undefined {
  const m = /^ctok-([A-Za-z0-9]{10})-([A-Za-z0-9]{40})$/.exec(value);
  return m ? { id: m[1], secret: m[2] } : undefined;
}
