// `cfy_manager generate-test-cert -s SAN1,SAN2,…` (reference §3.2): a test CA in ~/.cloudify-test-ca
// (made once) and a leaf named after the first SAN, signed by it. No root needed.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { generateCa, generateLeaf } from './x509.js';

export function testCaDir(home = process.env.HOME || homedir()): string {
  return join(home, '.cloudify-test-ca');
}

export async function generateTestCert(sansArg: string, out: (line: string) => void, dir = testCaDir()) {
  const sans = sansArg
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (sans.length === 0) throw new Error('--sans needs at least one entry');
  const caCert = join(dir, 'ca.crt');
  const caKey = join(dir, 'ca.key');
  if (!existsSync(caCert)) {
    out('CA cert not found, generating CA certs.');
    mkdirSync(dir, { recursive: true });
    const ca = await generateCa();
    writeFileSync(caCert, ca.certPem);
    writeFileSync(caKey, ca.keyPem);
  }
  const cn = sans[0]!;
  const leaf = await generateLeaf(cn, sans, {
    certPem: readFileSync(caCert, 'utf8'),
    keyPem: readFileSync(caKey, 'utf8'),
  });
  const crt = join(dir, `${cn}.crt`);
  const key = join(dir, `${cn}.key`);
  writeFileSync(crt, leaf.certPem);
  writeFileSync(key, leaf.keyPem);
  out('Created cert and key:');
  out(`  ${crt}`);
  out(`  ${key}`);
  out('');
  out(`CA cert: ${caCert}`);
}
