// The TLS front's certificates (cfy_manager.md §6.3, §6.5): read and checked once, before anything
// listens. Every problem is one line that names the flag, the file and the fix.
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface CertPaths {
  internalCert?: string;
  internalKey?: string;
  externalCert?: string;
  externalKey?: string;
  caCert?: string;
}

export interface CertPair {
  /** PEM bytes as read (a chain is served as given). */
  cert: Buffer;
  key: Buffer;
}

export interface FrontCerts {
  /** Serves the internal port, and the external port for every name but the public one. */
  internal: CertPair;
  /** Serves the external port for the public name (SNI), when that name is a hostname. */
  external?: CertPair;
  caPath?: string;
}

function read(flag: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new Error(`${flag} ${path} cannot be read (${code}): give a PEM file this user can read`);
  }
}

function parseCert(flag: string, path: string, pem: Buffer): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch {
    throw new Error(`${flag} ${path} is not a PEM certificate: give the certificate file, not its key`);
  }
}

function parseKey(flag: string, path: string, pem: Buffer): KeyObject {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    const why = /passphrase/i.test((e as Error).message) ? 'is encrypted' : 'is not a PEM private key';
    throw new Error(`${flag} ${path} ${why}: give the certificate's private key, unencrypted`);
  }
}

function loadPair(name: 'internal' | 'external', certPath: string, keyPath: string): CertPair {
  const certFlag = `--${name}-cert`;
  const keyFlag = `--${name}-key`;
  const cert = read(certFlag, certPath);
  const key = read(keyFlag, keyPath);
  const x509 = parseCert(certFlag, certPath, cert);
  if (!x509.checkPrivateKey(parseKey(keyFlag, keyPath, key))) {
    throw new Error(
      `${keyFlag} ${keyPath} does not match ${certFlag} ${certPath}: give the key the certificate was issued for`,
    );
  }
  return { cert, key };
}

function checkSignedBy(pair: CertPair, certPath: string, caPath: string): void {
  const ca = parseCert('--ca-cert', caPath, read('--ca-cert', caPath));
  const leaf = new X509Certificate(pair.cert);
  if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) {
    throw new Error(
      `--internal-cert ${certPath} is not signed by --ca-cert ${caPath}: give the CA that issued it`,
    );
  }
}

/** The front's certificates, or undefined when none is given (serve stays plain HTTP on --port). */
export function loadFrontCerts(p: CertPaths): FrontCerts | undefined {
  for (const name of ['internal', 'external'] as const) {
    const cert = p[`${name}Cert`];
    const key = p[`${name}Key`];
    if (Boolean(cert) !== Boolean(key))
      throw new Error(`--${name}-cert and --${name}-key go together: give both, or neither`);
  }
  if (!p.internalCert || !p.internalKey) {
    if (p.externalCert || p.caCert) {
      throw new Error(
        `${p.externalCert ? '--external-cert' : '--ca-cert'} needs --internal-cert and --internal-key: the internal certificate serves the internal port and every name but the public one`,
      );
    }
    return undefined;
  }
  const internal = loadPair('internal', p.internalCert, p.internalKey);
  if (p.caCert) checkSignedBy(internal, p.internalCert, p.caCert);
  const external =
    p.externalCert && p.externalKey ? loadPair('external', p.externalCert, p.externalKey) : undefined;
  return { internal, external, caPath: p.caCert };
}
