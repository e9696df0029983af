// Password hashes in passlib's pbkdf2_sha256 format ($pbkdf2-sha256$rounds$salt$hash, adapted base64),
// the scheme Cloudify stores, so a migrated users table keeps working.
import { pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);
const ROUNDS = 29000;

const ab64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '').replace(/\+/g, '.');
const fromAb64 = (s: string) => Buffer.from(s.replace(/\./g, '+'), 'base64');

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await pbkdf2Async(password, salt, ROUNDS, 32, 'sha256');
  return `$pbkdf2-sha256$${ROUNDS}$${ab64(salt)}$${ab64(hash)}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^\$pbkdf2-sha256\$(\d+)\$([^$]*)\$([^$]+)$/.exec(stored);
  if (!m) return false;
  const expected = fromAb64(m[3]);
  const got = await pbkdf2Async(password, fromAb64(m[2]), Number(m[1]), expected.length, 'sha256');
  return timingSafeEqual(got, expected);
}
