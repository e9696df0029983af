// Secret values at rest: AES-256-GCM, stored as "v1:<iv>:<tag>:<ciphertext>" in base64.
// The key comes from config (shared by every manager of a cluster) or from a 0400 key file in the data dir.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface SecretsCipher {
  encrypt(plain: string): string;
  decrypt(stored: string): string;
}

export function parseKey(text: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new Error('The secrets key must be 32 bytes, as 64 hex digits or base64');
  return key;
}

/** Read the key file, creating it (mode 0400) with a random key on first use. */
export function loadOrCreateKeyFile(path: string): Buffer {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, randomBytes(32).toString('hex') + '\n', { mode: 0o400, flag: 'wx' });
  }
  return parseKey(readFileSync(path, 'utf8'));
}

export function createCipher(key: Buffer): SecretsCipher {
  return {
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return ['v1', iv.toString('base64'), c.getAuthTag().toString('base64'), body.toString('base64')].join(
        ':',
      );
    },
    decrypt(stored) {
      const [v, iv, tag, body] = stored.split(':');
      if (v !== 'v1' || !iv || !tag || body === undefined) throw new Error('Unknown secret encoding');
      const d = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
      d.setAuthTag(Buffer.from(tag, 'base64'));
      return Buffer.concat([d.update(Buffer.from(body, 'base64')), d.final()]).toString('utf8');
    },
  };
}
