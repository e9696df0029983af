// Certificates with @peculiar/x509 over Node's WebCrypto; keys are made with node:crypto (reference §3.1):
// RSA 4096, e=65537, SHA-256, valid from now-1 day for 3650 days, PKCS#8 PEM keys, unencrypted.
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, webcrypto } from 'node:crypto';
import { isIP } from 'node:net';
import { promisify } from 'node:util';
import './reflect-polyfill.js';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
const DAY = 86_400_000;

export interface KeyAndCert {
  certPem: string;
  keyPem: string;
}

async function newKey(): Promise<{ pem: string; keys: CryptoKeyPair }> {
  const { privateKey } = await promisify(generateKeyPair)('rsa', {
    modulusLength: 4096,
    publicExponent: 65537,
  });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return { pem, keys: await toCryptoKeys(pem) };
}

async function toCryptoKeys(keyPem: string): Promise<CryptoKeyPair> {
  const priv = createPrivateKey(keyPem);
  const der = priv.export({ type: 'pkcs8', format: 'der' });
  const spki = createPublicKey(priv).export({ type: 'spki', format: 'der' });
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
  const publicKey = await webcrypto.subtle.importKey('spki', spki, ALG, true, ['verify']);
  return { privateKey, publicKey } as CryptoKeyPair;
}

const serial = () => {
  const b = randomBytes(16);
  b[0]! &= 0x7f; // positive
  return b.toString('hex');
};

function validity(): { notBefore: Date; notAfter: Date } {
  const now = Date.now();
  return { notBefore: new Date(now - DAY), notAfter: new Date(now + 3650 * DAY) };
}

const letters = (n: number) =>
  Array.from(randomBytes(n), (b) => 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'[b % 52]).join('');

/** `CN=Cloudify generated certificate <8 letters>`, self-signed, BasicConstraints ca=True (non-critical). */
export async function generateCa(): Promise<KeyAndCert> {
  const { pem, keys } = await newKey();
  const name = `CN=Cloudify generated certificate ${letters(8)}`;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name,
    ...validity(),
    signingAlgorithm: ALG,
    keys,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, false)],
  });
  return { certPem: cert.toString('pem'), keyPem: pem };
}

/** SANs: every entry as a DNS name, and also as an IP address when it parses as one (reference §3.1). */
export function sanEntries(entries: string[]): { type: 'dns' | 'ip'; value: string }[] {
  const out: { type: 'dns' | 'ip'; value: string }[] = [];
  for (const e of [...new Set(entries)]) {
    out.push({ type: 'dns', value: e });
    if (isIP(e)) out.push({ type: 'ip', value: e });
  }
  return out;
}

/** A leaf with CN=<cn> and SANs over sans + [cn], signed by the CA (or self-signed without one). */
export async function generateLeaf(cn: string, sans: string[], ca?: KeyAndCert): Promise<KeyAndCert> {
  const { pem, keys } = await newKey();
  const extensions = [new x509.SubjectAlternativeNameExtension(sanEntries([...sans, cn]))];
  if (!ca) {
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: `CN=${cn}`,
      ...validity(),
      signingAlgorithm: ALG,
      keys,
      extensions,
    });
    return { certPem: cert.toString('pem'), keyPem: pem };
  }
  const caCert = new x509.X509Certificate(ca.certPem);
  const caKeys = await toCryptoKeys(ca.keyPem);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${cn}`,
    issuer: caCert.subject,
    ...validity(),
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    extensions,
  });
  return { certPem: cert.toString('pem'), keyPem: pem };
}

export function parseCert(pem: string): x509.X509Certificate {
  return new x509.X509Certificate(pem);
}

/** The key's public half equals the certificate's (Cloudify compares the modulus). */
export function keyMatchesCert(certPem: string, keyPem: string, password?: string): boolean {
  const priv = createPrivateKey(password ? { key: keyPem, passphrase: password } : keyPem);
  const fromKey = createPublicKey(priv).export({ type: 'spki', format: 'der' });
  const fromCert = Buffer.from(parseCert(certPem).publicKey.rawData);
  return fromKey.equals(fromCert);
}

export async function signedBy(certPem: string, caPem: string): Promise<boolean> {
  const cert = parseCert(certPem);
  const ca = parseCert(caPem);
  if (cert.issuer !== ca.subject) return false;
  try {
    return await cert.verify({ publicKey: ca.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

/** The SAN values (DNS and IP) of a certificate. */
export function certSans(certPem: string): string[] {
  const ext = parseCert(certPem).getExtension(x509.SubjectAlternativeNameExtension);
  return ext ? ext.names.items.map((n) => n.value) : [];
}

export function certCommonName(certPem: string): string | undefined {
  return /CN=([^,]+)/.exec(parseCert(certPem).subject)?.[1];
}
